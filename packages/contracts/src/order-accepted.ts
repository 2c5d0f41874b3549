import { type Static, Type as T } from '@sinclair/typebox'
import { checkEvent, type Decoded, decodeEvent } from './decode'
import { UUID_PATTERN } from './uuid'

const Uuid = T.String({
  pattern: UUID_PATTERN.source,
  description: 'lower-case UUID',
})

/**
 * `OrderAccepted` v1: the gateway reserved stock for this purchase in Redis and answered 202.
 * Produced by the relay to `orders.accepted` (key = deal id, W3C `traceparent` header), applied
 * by the consumer exactly once per `orderId`. Readers ignore fields they do not know, so adding
 * an optional field keeps v1; changing or removing one makes v2.
 */
export const OrderAcceptedV1 = T.Object(
  {
    type: T.Literal('OrderAccepted'),
    version: T.Literal(1),
    orderId: T.String({
      ...Uuid,
      description: 'UUIDv7 made by the gateway; the idempotency key of the write',
    }),
    dealId: Uuid,
    userId: Uuid,
    quantity: T.Integer({ minimum: 1 }),
    unitPrice: T.Integer({ minimum: 0, description: 'deal price in minor units when accepted' }),
    idempotencyKey: T.String({ minLength: 1, maxLength: 64 }),
    acceptedAt: T.String({
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$',
      description: 'when Redis accepted it (Redis clock), ISO 8601 UTC',
    }),
  },
  { $id: 'OrderAcceptedV1', title: 'OrderAccepted v1' },
)
export type OrderAccepted = Static<typeof OrderAcceptedV1>

/** Reads a Kafka record value; anything else than a valid v1 event says why. */
export const decodeOrderAccepted = (value: Buffer | string | null): Decoded<OrderAccepted> =>
  decodeEvent(OrderAcceptedV1, value)

/**
 * The outbox stream entry the reservation script appends, as named string fields: `orderId
 * dealId userId quantity unitPrice idempotencyKey acceptedAtMs traceparent` (see
 * `outboxEntryFields` for how the entry holds them). The relay turns one into the event it
 * produces.
 */
export function orderAcceptedFromOutbox(
  fields: Record<string, string>,
): Decoded<{ event: OrderAccepted; traceparent?: string }> {
  // A missing or empty field stays undefined (Number('') would be a silent 0).
  const number = (value: string | undefined) => (value ? Number(value) : undefined)
  const acceptedAtMs = number(fields.acceptedAtMs) ?? Number.NaN
  const decoded = checkEvent(OrderAcceptedV1, {
    type: 'OrderAccepted',
    version: 1,
    orderId: fields.orderId,
    dealId: fields.dealId,
    userId: fields.userId,
    quantity: number(fields.quantity),
    unitPrice: number(fields.unitPrice),
    idempotencyKey: fields.idempotencyKey,
    acceptedAt: Number.isFinite(acceptedAtMs) ? new Date(acceptedAtMs).toISOString() : undefined,
  })
  if (!decoded.ok) return decoded
  const traceparent = fields.traceparent || undefined
  return { ok: true, value: { event: decoded.value, traceparent } }
}

/** The order of the values in an outbox entry's one `order` field (reserve.lua). */
const OUTBOX_VALUES = [
  'orderId',
  'dealId',
  'userId',
  'quantity',
  'unitPrice',
  'acceptedAtMs',
  'traceparent',
] as const

/**
 * An outbox entry's flat field list (as ioredis and Upstash return it) as the named fields
 * `orderAcceptedFromOutbox` reads. reserve.lua writes one field, `order`, its values separated by
 * single spaces in `OUTBOX_VALUES` order and the Idempotency-Key last (printable ASCII without
 * a space, so whatever follows the seventh space is the key). An entry of named fields (written
 * before the one-field record) reads as it is, so an upgrade loses none still in a stream.
 */
export function outboxEntryFields(list: string[]): Record<string, string> {
  if (list.length !== 2 || list[0] !== 'order') return fieldsToRecord(list)
  const record: Record<string, string> = {}
  const value = list[1] as string
  let from = 0
  for (const name of OUTBOX_VALUES) {
    const space = value.indexOf(' ', from)
    if (space < 0) return record // too few values: the decoder names the first one missing
    record[name] = value.slice(from, space)
    from = space + 1
  }
  record.idempotencyKey = value.slice(from)
  return record
}

/** A flat field list (as ioredis and Upstash return stream entries) as a record. */
export function fieldsToRecord(list: string[]): Record<string, string> {
  const record: Record<string, string> = {}
  for (let i = 0; i + 1 < list.length; i += 2) record[list[i] as string] = list[i + 1] as string
  return record
}

export type { Decoded }
