import { stripeId } from '../intents/model'
import type { SandboxStore, StoredEvent } from '../store/store'
import type { WebhookDispatcher } from './dispatcher'
import type { StripeEvent } from './model'

/** The API version the payloads follow (Stripe pins one per endpoint). */
export const API_VERSION = '2024-06-20'

export type EventType =
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'refund.created'

/** Which API request caused an event (Stripe's `event.request`). */
export interface EventCause {
  requestId: string
  idempotencyKey?: string
}

/** Records every event (retrievable at /v1/events) and hands it to the webhook dispatcher. */
export class EventLog {
  constructor(
    private readonly store: SandboxStore,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  publish(type: EventType, object: unknown, cause: EventCause): StoredEvent {
    const id = stripeId('evt')
    const created = Math.floor(Date.now() / 1000)
    const body: StripeEvent = {
      id,
      object: 'event',
      api_version: API_VERSION,
      created,
      livemode: false,
      pending_webhooks: this.dispatcher.enabled ? 1 : 0,
      type,
      data: { object: object as StripeEvent['data']['object'] },
      request: { id: cause.requestId, idempotency_key: cause.idempotencyKey ?? null },
    }
    const payload = JSON.stringify(body)
    // Without a webhook URL the event is only kept: a URL set later does not flood the receiver
    // with the history.
    const event: StoredEvent = {
      id,
      type,
      created,
      payload,
      ...(this.dispatcher.enabled ? {} : { done: 'unsent' as const }),
    }
    this.store.saveEvent(event)
    this.dispatcher.send(event)
    return event
  }

  get(id: string): StripeEvent | undefined {
    const event = this.store.events.get(id)
    return event ? (JSON.parse(event.payload) as StripeEvent) : undefined
  }

  /** The newest first, as Stripe lists them. */
  list(limit: number): StripeEvent[] {
    return [...this.store.events.values()]
      .slice(-limit)
      .reverse()
      .map((event) => JSON.parse(event.payload) as StripeEvent)
  }
}
