import { type Static, Type as T } from '@sinclair/typebox'
import { type Decoded, decodeEvent } from './decode'
import { UUID_PATTERN } from './uuid'

const Uuid = T.String({ pattern: UUID_PATTERN.source, description: 'lower-case UUID' })

/**
 * `OrderReleased` v1: a held order was expired (its payment window passed unpaid) or cancelled,
 * and its units went back on sale. Decided in one Postgres transaction (the order's status, the
 * deal's stock_remaining and a row in the `order_releases` outbox); the order service publishes
 * that outbox to `orders.released` (key = deal id) at least once, so readers dedupe by `orderId`.
 * Redis is given the units straight from the same outbox, not from this topic: it is for
 * everyone else (notifications, analytics, a search index). Readers ignore fields they do not
 * know, so adding an optional field keeps v1; changing or removing one makes v2.
 */
export const OrderReleasedV1 = T.Object(
  {
    type: T.Literal('OrderReleased'),
    version: T.Literal(1),
    orderId: Uuid,
    dealId: Uuid,
    userId: Uuid,
    quantity: T.Integer({ minimum: 1, description: 'units given back to the deal' }),
    reason: T.Union([T.Literal('expired'), T.Literal('cancelled')]),
    releasedAt: T.String({
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$',
      description: 'when Postgres decided the release (database clock), ISO 8601 UTC',
    }),
  },
  { $id: 'OrderReleasedV1', title: 'OrderReleased v1' },
)
export type OrderReleased = Static<typeof OrderReleasedV1>

/** Reads a Kafka record value; anything else than a valid v1 event says why. */
export const decodeOrderReleased = (value: Buffer | string | null): Decoded<OrderReleased> =>
  decodeEvent(OrderReleasedV1, value)
