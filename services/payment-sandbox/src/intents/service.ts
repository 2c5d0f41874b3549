import { resourceMissing, StripeError, unexpectedState } from '../errors'
import type { Answer, IdempotencyLedger, LedgerAnswer } from '../idempotency/ledger'
import type { SandboxStore } from '../store/store'
import type { EventCause, EventLog } from '../webhooks/events'
import { type CreatePaymentIntentBody, type PaymentIntent, stripeId } from './model'
import { paymentMethodOutcome } from './payment-methods'

export interface PaymentIntentServiceDeps {
  store: SandboxStore
  ledger: IdempotencyLedger
  events: EventLog
}

/** A request's identity for idempotency and for the events it causes. */
export type ApiCall = EventCause

/**
 * Payment intents as a card processor keeps them: created for an amount, confirmed with a
 * payment method (charged, declined, or charged with a lost answer), retrieved. Every POST is
 * idempotent by its key; every outcome is also an event for the webhook.
 */
export class PaymentIntentService {
  constructor(private readonly deps: PaymentIntentServiceDeps) {}

  create(body: CreatePaymentIntentBody, call: ApiCall): Promise<LedgerAnswer<PaymentIntent>> {
    const request = { method: 'POST', path: '/v1/payment_intents', body }
    return this.deps.ledger.run(call.idempotencyKey, request, () => {
      if (body.payment_method && !paymentMethodOutcome(body.payment_method)) {
        throw noSuchPaymentMethod(body.payment_method)
      }
      const intent: PaymentIntent = {
        id: stripeId('pi'),
        object: 'payment_intent',
        amount: body.amount,
        amount_received: 0,
        amount_refunded: 0,
        currency: body.currency.toLowerCase(),
        status: body.payment_method ? 'requires_confirmation' : 'requires_payment_method',
        payment_method: body.payment_method ?? null,
        latest_charge: null,
        last_payment_error: null,
        metadata: body.metadata ?? {},
        created: Math.floor(Date.now() / 1000),
        livemode: false,
      }
      this.deps.store.saveIntent(intent)
      return body.confirm
        ? this.charge(intent, body.payment_method, call)
        : { status: 200, body: intent }
    })
  }

  confirm(
    id: string,
    body: { payment_method?: string },
    call: ApiCall,
  ): Promise<LedgerAnswer<PaymentIntent>> {
    const request = { method: 'POST', path: `/v1/payment_intents/${id}/confirm`, body }
    return this.deps.ledger.run(call.idempotencyKey, request, () =>
      this.charge(this.retrieve(id), body.payment_method, call),
    )
  }

  retrieve(id: string): PaymentIntent {
    const intent = this.deps.store.intents.get(id)
    if (!intent) throw resourceMissing('intent', `No such payment_intent: '${id}'`)
    return intent
  }

  private charge(
    intent: PaymentIntent,
    method: string | undefined,
    call: ApiCall,
  ): Answer<PaymentIntent> {
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      throw unexpectedState(
        `You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`,
        intent,
      )
    }
    const paymentMethod = method ?? intent.payment_method
    if (!paymentMethod) {
      throw unexpectedState(
        'You cannot confirm this PaymentIntent because it has no payment method; pass payment_method.',
        intent,
      )
    }
    const outcome = paymentMethodOutcome(paymentMethod)
    if (!outcome) throw noSuchPaymentMethod(paymentMethod)
    if (outcome.kind === 'declined') {
      const declined: PaymentIntent = {
        ...intent,
        status: 'requires_payment_method',
        payment_method: null,
        last_payment_error: {
          type: 'card_error',
          code: outcome.code,
          decline_code: outcome.declineCode,
          message: outcome.message,
          payment_method: { id: paymentMethod },
        },
      }
      this.deps.store.saveIntent(declined)
      this.deps.events.publish('payment_intent.payment_failed', declined, call)
      throw new StripeError(402, outcome.code, 'Card declined', outcome.message, {
        decline_code: outcome.declineCode,
        payment_intent: declined,
      })
    }
    const succeeded: PaymentIntent = {
      ...intent,
      status: 'succeeded',
      payment_method: paymentMethod,
      amount_received: intent.amount,
      latest_charge: stripeId('ch'),
      last_payment_error: null,
    }
    this.deps.store.saveIntent(succeeded)
    this.deps.events.publish('payment_intent.succeeded', succeeded, call)
    return {
      status: 200,
      body: succeeded,
      ...(outcome.kind === 'slow-answer' ? { slow: true } : {}),
    }
  }
}

const noSuchPaymentMethod = (id: string) =>
  new StripeError(400, 'resource_missing', 'No such object', `No such PaymentMethod: '${id}'`, {
    param: 'payment_method',
  })
