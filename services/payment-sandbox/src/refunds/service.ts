import { resourceMissing, StripeError, unexpectedState } from '../errors'
import type { IdempotencyLedger, LedgerAnswer } from '../idempotency/ledger'
import { stripeId } from '../intents/model'
import type { ApiCall } from '../intents/service'
import type { SandboxStore } from '../store/store'
import type { EventLog } from '../webhooks/events'
import type { CreateRefundBody, Refund } from './model'

export interface RefundServiceDeps {
  store: SandboxStore
  ledger: IdempotencyLedger
  events: EventLog
}

/** Refunds of a succeeded intent, whole or partial, never more than was received. */
export class RefundService {
  constructor(private readonly deps: RefundServiceDeps) {}

  create(body: CreateRefundBody, call: ApiCall): Promise<LedgerAnswer<Refund>> {
    const request = { method: 'POST', path: '/v1/refunds', body }
    return this.deps.ledger.run(call.idempotencyKey, request, () => {
      const intent = this.deps.store.intents.get(body.payment_intent)
      if (!intent) {
        throw new StripeError(
          400,
          'resource_missing',
          'No such object',
          `No such payment_intent: '${body.payment_intent}'`,
          { param: 'payment_intent' },
        )
      }
      if (intent.status !== 'succeeded') {
        throw unexpectedState(
          'This PaymentIntent does not have a successful charge to refund.',
          intent,
        )
      }
      const unrefunded = intent.amount_received - intent.amount_refunded
      if (unrefunded === 0) {
        throw new StripeError(
          400,
          'charge_already_refunded',
          'Already refunded',
          `The charge of ${intent.id} has already been refunded.`,
        )
      }
      const amount = body.amount ?? unrefunded
      if (amount > unrefunded) {
        throw new StripeError(
          400,
          'amount_too_large',
          'Refund too large',
          `Refund amount (${amount}) is greater than the unrefunded amount (${unrefunded}).`,
          { param: 'amount' },
        )
      }
      const refund: Refund = {
        id: stripeId('re'),
        object: 'refund',
        amount,
        currency: intent.currency,
        payment_intent: intent.id,
        status: 'succeeded',
        metadata: body.metadata ?? {},
        created: Math.floor(Date.now() / 1000),
      }
      this.deps.store.saveRefund(refund)
      this.deps.store.saveIntent({ ...intent, amount_refunded: intent.amount_refunded + amount })
      this.deps.events.publish('refund.created', refund, call)
      return { status: 200, body: refund }
    })
  }

  retrieve(id: string): Refund {
    const refund = this.deps.store.refunds.get(id)
    if (!refund) throw resourceMissing('id', `No such refund: '${id}'`)
    return refund
  }
}
