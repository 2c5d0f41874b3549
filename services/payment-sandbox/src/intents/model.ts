import { Type as t } from '@sinclair/typebox'

/** Stripe-shaped ids: a type prefix and 24 random alphanumerics (`pi_…`, `ch_…`, `evt_…`). */
export function stripeId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  const bytes = crypto.getRandomValues(new Uint8Array(24))
  let id = `${prefix}_`
  for (const byte of bytes) id += alphabet[byte % alphabet.length]
  return id
}

const Metadata = t.Record(t.String({ maxLength: 40 }), t.String({ maxLength: 500 }), {
  description: 'Free key/value pairs kept on the object (the order service puts `orderId` here)',
})

export const PaymentError = t.Object({
  type: t.Literal('card_error'),
  code: t.String(),
  decline_code: t.Optional(t.String()),
  message: t.String(),
  payment_method: t.Object({ id: t.String() }),
})

export const PaymentIntentStatus = t.Union([
  t.Literal('requires_payment_method'),
  t.Literal('requires_confirmation'),
  t.Literal('succeeded'),
  t.Literal('canceled'),
])

export const PaymentIntent = t.Object(
  {
    id: t.String({ pattern: '^pi_' }),
    object: t.Literal('payment_intent'),
    amount: t.Integer(),
    amount_received: t.Integer(),
    amount_refunded: t.Integer({
      description: 'A sandbox extension (Stripe keeps it on the charge)',
    }),
    currency: t.String(),
    status: PaymentIntentStatus,
    payment_method: t.Union([t.String(), t.Null()]),
    latest_charge: t.Union([t.String(), t.Null()]),
    last_payment_error: t.Union([PaymentError, t.Null()]),
    metadata: Metadata,
    created: t.Integer({ description: 'Unix seconds' }),
    livemode: t.Literal(false),
  },
  { title: 'PaymentIntent' },
)
export type PaymentIntent = typeof PaymentIntent.static

export const CreatePaymentIntentBody = t.Object(
  {
    amount: t.Integer({ minimum: 1, maximum: 99_999_999, description: 'Minor units' }),
    currency: t.String({ pattern: '^[a-zA-Z]{3}$', description: 'ISO 4217, any case' }),
    metadata: t.Optional(Metadata),
    payment_method: t.Optional(t.String({ minLength: 1, maxLength: 255 })),
    confirm: t.Optional(
      t.Boolean({ description: 'Confirm in the same call (Stripe: confirm=true)' }),
    ),
  },
  { additionalProperties: false },
)
export type CreatePaymentIntentBody = typeof CreatePaymentIntentBody.static

export const ConfirmPaymentIntentBody = t.Object(
  { payment_method: t.Optional(t.String({ minLength: 1, maxLength: 255 })) },
  { additionalProperties: false },
)

export const PaymentIntentParams = t.Object({ id: t.String({ pattern: '^pi_[A-Za-z0-9]+$' }) })

/** Stripe's `Idempotency-Key`: up to 255 characters, any printable ASCII. */
export const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/

export const idempotencyKeyParameter = {
  in: 'header',
  name: 'Idempotency-Key',
  required: false,
  description:
    'Stripe semantics: the same key with the same parameters answers the first result again (`Idempotent-Replayed: true`), with other parameters or on another endpoint 400 `idempotency_error`, while the first is still running 409 `idempotency_key_in_use`. Remembered 24 hours. Up to 255 printable ASCII characters.',
  schema: { type: 'string', maxLength: 255 },
} as const
