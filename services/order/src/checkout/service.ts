import { queries, type Sql } from '@flash-deal/db'
import { type Logger, NotFoundError } from '@flash-deal/kit'
import type { AccessClaims } from '@flash-deal/kit/jwt'
import type { OrderView } from '../orders/model'
import type { OrderService } from '../orders/service'
import { PaymentTimeoutError } from '../payments/errors'
import type { Payment, PaymentProvider, WebhookDelivery } from '../payments/port'
import { checkoutErrors, refusalFor } from './errors'
import type { Releaser } from './release'

export interface PaymentAnswer {
  /** 200: paid now; 202: the provider confirms later (webhook), `order` is as it is now. */
  code: 200 | 202
  order: OrderView
}

/**
 * Checkout's use cases on a held order: pay, cancel, and the provider's webhook. Every decision
 * is one conditional statement on the order's row in Postgres (paid only while `confirmed` and
 * before payBy; released only while `confirmed`), so a payment and an expiry or a cancellation
 * cannot both win; the loser of a charge that went through is refunded.
 */
export class CheckoutService {
  private readonly sql: Sql
  private readonly orders: OrderService
  private readonly releaser: Releaser
  private readonly provider: PaymentProvider
  private readonly logger: Logger
  private readonly arrivalWaitMs: number

  constructor(options: {
    sql: Sql
    orders: OrderService
    releaser: Releaser
    provider: PaymentProvider
    logger: Logger
    /** How long a payment or a cancel of a `pending` order waits for it to reach Postgres. */
    arrivalWaitMs: number
  }) {
    this.sql = options.sql
    this.orders = options.orders
    this.releaser = options.releaser
    this.provider = options.provider
    this.logger = options.logger
    this.arrivalWaitMs = options.arrivalWaitMs
  }

  async pay(
    id: string,
    user: AccessClaims,
    attempt: string,
    paymentMethod: string,
  ): Promise<PaymentAnswer> {
    await this.arrived(id, user)
    // Paying is the owner's alone (an admin may read and cancel, not pay).
    const row = await this.held(id, { ...user, role: 'customer' })
    if (row.status === 'paid' && row.paymentAttempt === attempt)
      return { code: 200, order: await this.orders.get(id, user) }
    const refusal = refusalFor(id, row.status)
    if (refusal) throw refusal
    if (row.overdue) {
      await this.expireNow(id)
      throw checkoutErrors.expired(id)
    }
    const payment = await this.charge(row, paymentMethod, attempt)
    if (payment.status !== 'succeeded') return { code: 202, order: await this.orders.get(id, user) }
    if ((await this.settle(id, payment, attempt)) === 'paid')
      return { code: 200, order: await this.orders.get(id, user) }
    const now = await this.orders.get(id, user)
    throw refusalFor(id, now.status) ?? checkoutErrors.expired(id)
  }

  /** Owner or admin, before payment; cancelling a cancelled order again answers it as it is. */
  async cancel(id: string, user: AccessClaims): Promise<OrderView> {
    await this.arrived(id, user)
    const release = await this.sql.begin(async (tx) => {
      const row = await queries.lockOrderForCheckout(tx, { id })
      if (!row) throw new NotFoundError(`No order with id ${id}`)
      if (row.status === 'cancelled') return null
      const refusal = refusalFor(id, row.status)
      if (refusal) throw refusal
      return await this.releaser.decide(tx, id, 'cancelled')
    })
    if (release) await this.releaser.applySoon([release])
    return await this.orders.get(id, user)
  }

  /**
   * A provider event, verified first. Applying one is idempotent by the order's state (a duplicate
   * finds it paid, or refunds again under the same refund key), so deliveries may repeat and
   * arrive in any order; events about nothing we hold are acknowledged and ignored.
   */
  async applyWebhook(delivery: WebhookDelivery): Promise<void> {
    // A forged, stale or malformed delivery throws (400) before anything is read or written.
    const event = this.provider.readWebhook(delivery)
    const payment = event.payment
    if (event.type !== 'payment_intent.succeeded' || payment?.status !== 'succeeded') return
    if (!(await queries.getOrder(this.sql, { id: payment.orderId }))) {
      this.logger.warn('payment webhook for an unknown order', { eventId: event.id })
      return
    }
    const outcome = await this.settle(payment.orderId, payment, null)
    this.logger.info('payment webhook applied', { eventId: event.id, outcome })
  }

  private async charge(
    row: { id: string; quantity: number; unitPrice: number; currency: string },
    paymentMethod: string,
    attempt: string,
  ): Promise<Payment> {
    try {
      return await this.provider.createAndConfirm({
        orderId: row.id,
        amount: row.quantity * row.unitPrice,
        currency: row.currency,
        paymentMethod,
        attempt,
      })
    } catch (error) {
      // The charge may have gone through: remember the attempt, so that when the webhook pays
      // the order, this attempt's retry answers 200 (any other one 409).
      if (error instanceof PaymentTimeoutError)
        await queries.setPaymentAttempt(this.sql, { id: row.id, paymentAttempt: attempt })
      throw error
    }
  }

  /** A succeeded charge: the order paid, or, if it lost to an expiry/cancel, the charge refunded. */
  private async settle(id: string, payment: Payment, attempt: string | null) {
    for (let round = 0; round < 2; round++) {
      const paid = await queries.markOrderPaid(this.sql, {
        id,
        paymentReference: payment.reference,
        paymentAttempt: attempt,
      })
      if (paid) return 'paid' as const
      const row = await queries.lockOrderForCheckout(this.sql, { id })
      if (row?.status === 'paid') {
        // The webhook paid it first (with no attempt to record): this charge is the same one
        // (one intent per order), so this attempt's retry must answer 200 too, not 409.
        if (attempt && row.paymentReference === payment.reference)
          await queries.setPaymentAttempt(this.sql, { id, paymentAttempt: attempt })
        return 'paid' as const
      }
      // Still held but past payBy: the expiry has not run yet; the charge came too late.
      if (row?.status === 'confirmed') await this.expireNow(id)
      else break
    }
    await this.refund(id, payment)
    return 'lost' as const
  }

  private async refund(id: string, payment: Payment) {
    const refund = await this.provider.refund({ orderId: id, reference: payment.reference })
    await queries.setOrderRefund(this.sql, { id, refundReference: refund.reference })
    this.logger.warn('charge of a released order refunded', {
      orderId: id,
      refund: refund.reference,
    })
  }

  private async expireNow(id: string) {
    const release = await this.sql.begin((tx) => this.releaser.decide(tx, id, 'expired'))
    if (release) await this.releaser.applySoon([release])
  }

  /** The order's checkout row, for its owner (or an admin): 404 otherwise, as for reads. */
  private async held(id: string, user: AccessClaims) {
    const row = await queries.lockOrderForCheckout(this.sql, { id })
    if (!row || (row.userId !== user.sub && user.role !== 'admin'))
      throw new NotFoundError(`No order with id ${id}`)
    return row
  }

  /** A `pending` order (accepted, not in Postgres yet) is waited for, briefly: it is on its way. */
  private async arrived(id: string, user: AccessClaims): Promise<void> {
    const order = await this.orders.get(id, user)
    if (order.status !== 'pending') return
    const deadline = Date.now() + this.arrivalWaitMs
    while (Date.now() < deadline) {
      await Bun.sleep(50)
      if (await queries.getOrder(this.sql, { id })) return
    }
    throw checkoutErrors.stillArriving(id)
  }
}
