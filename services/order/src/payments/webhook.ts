import { createHmac, timingSafeEqual } from 'node:crypto'
import { DomainError } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { PaymentWebhookEvent } from './port'
import { type PaymentIntentWire, toPayment } from './stripe-wire'

/** Stripe's default: a signature older (or newer) than five minutes is refused as a replay. */
export const DEFAULT_TOLERANCE_SECONDS = 300

export type WebhookRefusal =
  | 'missing-signature'
  | 'malformed-signature'
  | 'stale-timestamp'
  | 'bad-signature'
  | 'malformed-payload'

/** 400: the webhook is refused and nothing changes (the provider retries genuine ones). */
export class WebhookVerificationError extends DomainError {
  constructor(
    readonly reason: WebhookRefusal,
    detail: string,
  ) {
    super(400, 'webhook-signature-invalid', 'Webhook refused', detail, { reason })
  }
}

export interface VerifyWebhookInput {
  /** The raw request body, byte for byte as received (never re-serialised JSON). */
  payload: string
  /** The `Stripe-Signature` header. */
  signature: string | null | undefined
  /** The endpoint secret; several while a rotation is under way (any one may sign). */
  secrets: string | readonly string[]
  /** The receiver's clock, Unix seconds. */
  nowSeconds: number
  toleranceSeconds?: number
}

const EventEnvelope = T.Object({
  id: T.String({ pattern: '^evt_' }),
  type: T.String({ minLength: 1 }),
  created: T.Integer(),
  data: T.Object({ object: T.Record(T.String(), T.Unknown()) }),
})

/**
 * Verifies a webhook the way Stripe's libraries do: `t=<ts>,v1=<hex>` where v1 is the
 * HMAC-SHA256 of `<ts>.<payload>` under the endpoint secret, compared in constant time; the
 * timestamp within `toleranceSeconds` of now (a captured delivery cannot be replayed later).
 * Pure: the clock is an argument. Throws `WebhookVerificationError`, naming the reason.
 */
export function verifyWebhook(input: VerifyWebhookInput): PaymentWebhookEvent {
  const { payload, signature, nowSeconds } = input
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (!signature)
    throw new WebhookVerificationError('missing-signature', 'No Stripe-Signature header')
  const { timestamp, signatures } = parseSignatureHeader(signature)
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    throw new WebhookVerificationError(
      'stale-timestamp',
      `The signature's timestamp is more than ${tolerance} s from now`,
    )
  }
  const secrets = typeof input.secrets === 'string' ? [input.secrets] : input.secrets
  const signed = `${timestamp}.${payload}`
  const valid = secrets.some((secret) => {
    const expected = createHmac('sha256', secret).update(signed).digest()
    return signatures.some(
      (candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected),
    )
  })
  if (!valid) {
    throw new WebhookVerificationError('bad-signature', 'No signature matches the payload')
  }
  return parseEvent(payload)
}

function parseSignatureHeader(header: string): { timestamp: number; signatures: Buffer[] } {
  let timestamp: number | undefined
  const signatures: Buffer[] = []
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2)
    if (name === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value)
    // Other schemes (v0, Stripe's test-mode one) are ignored, as Stripe's libraries do.
    if (name === 'v1' && value && /^[0-9a-f]{64}$/i.test(value)) {
      signatures.push(Buffer.from(value, 'hex'))
    }
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new WebhookVerificationError(
      'malformed-signature',
      'Stripe-Signature needs t=<unix seconds> and at least one v1=<hex HMAC-SHA256>',
    )
  }
  return { timestamp, signatures }
}

function parseEvent(payload: string): PaymentWebhookEvent {
  let event: unknown
  try {
    event = JSON.parse(payload)
  } catch {
    throw new WebhookVerificationError('malformed-payload', 'The signed payload is not JSON')
  }
  if (!Value.Check(EventEnvelope, event)) {
    throw new WebhookVerificationError('malformed-payload', 'The signed payload is not an event')
  }
  const object = event.data.object
  const base = { id: event.id, type: event.type, created: event.created }
  if (object.object === 'payment_intent') {
    return { ...base, payment: toPayment(object as unknown as PaymentIntentWire) }
  }
  if (object.object === 'refund') {
    return {
      ...base,
      refund: {
        reference: String(object.id),
        paymentReference: String(object.payment_intent),
        amount: Number(object.amount),
      },
    }
  }
  return base
}
