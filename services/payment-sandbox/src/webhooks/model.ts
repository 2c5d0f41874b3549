import { Type as t } from '@sinclair/typebox'

/** An event as sent to the webhook and served at /v1/events (Stripe's Event object). */
export const StripeEvent = t.Object(
  {
    id: t.String({ pattern: '^evt_' }),
    object: t.Literal('event'),
    api_version: t.String(),
    created: t.Integer({ description: 'Unix seconds' }),
    livemode: t.Literal(false),
    pending_webhooks: t.Integer(),
    type: t.String({
      description: 'payment_intent.succeeded, payment_intent.payment_failed or refund.created',
    }),
    data: t.Object({
      object: t.Object({}, { additionalProperties: true, description: 'The intent or refund' }),
    }),
    request: t.Object({ id: t.String(), idempotency_key: t.Union([t.String(), t.Null()]) }),
  },
  { title: 'Event' },
)
export type StripeEvent = typeof StripeEvent.static
