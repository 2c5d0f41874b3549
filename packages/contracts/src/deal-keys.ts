/**
 * Redis keys of a deal. The `{id}` hash tag puts every key of one deal in one cluster slot, so
 * the reservation script can touch them all in one call (Redis Cluster, Upstash).
 *
 * | key                     | type   | holds                                                    |
 * |-------------------------|--------|----------------------------------------------------------|
 * | `deal:{id}:stock`       | string | units left; absent = the deal is not (or no longer) open |
 * | `deal:{id}:info`        | hash   | price, perUserLimit, startsAt, endsAt (epoch ms), productId |
 * | `deal:{id}:buyers`      | hash   | user id → units bought so far                             |
 * | `deal:{id}:idempotency` | hash   | `userId:key` → `orderId:quantity` of the first purchase  |
 * | `deal:{id}:outbox`      | stream | one `OrderAccepted` record per accepted purchase          |
 *
 * Once a deal has ended and its outbox is drained, the relay gives every key but `info` an
 * expiry (a day after the end by default, `DEAL_RETENTION_MS`): until then a retry answers the
 * original order; after it a purchase is refused as `ended`.
 */
export const dealStockKey = (dealId: string) => `deal:{${dealId}}:stock`
export const dealInfoKey = (dealId: string) => `deal:{${dealId}}:info`
export const dealBuyersKey = (dealId: string) => `deal:{${dealId}}:buyers`
export const dealIdempotencyKey = (dealId: string) => `deal:{${dealId}}:idempotency`
export const dealOutboxKey = (dealId: string) => `deal:{${dealId}}:outbox`

/** Every key of a deal, in the order the Lua scripts expect them as KEYS[1..5]. */
export const dealKeys = (dealId: string) =>
  [
    dealStockKey(dealId),
    dealInfoKey(dealId),
    dealBuyersKey(dealId),
    dealIdempotencyKey(dealId),
    dealOutboxKey(dealId),
  ] as const

/** The keys of a deal's purchase state: all but `info`, which outlives them (see above). */
export const dealPurchaseStateKeys = (dealId: string) =>
  [
    dealStockKey(dealId),
    dealBuyersKey(dealId),
    dealIdempotencyKey(dealId),
    dealOutboxKey(dealId),
  ] as const

/**
 * The set of deal ids whose outbox the relay drains. Kept apart from the deal's slot on purpose
 * (it spans deals); written when a deal is published and when the reconciler restores one.
 */
export const OUTBOX_REGISTRY_KEY = 'outbox:deals'

/** The consumer group the relay reads every outbox stream with. */
export const OUTBOX_GROUP = 'relay'

/**
 * Accepted orders between their 202 and their row in Postgres, so their owners can already read
 * them (`pending`): a hash, order id → `PendingOrder` JSON. The relay adds a batch's orders in
 * one HSET; the consumer removes them in one HDEL once they are in Postgres (or dead-lettered).
 */
export const PENDING_ORDERS_KEY = 'orders:pending'

/** What `PENDING_ORDERS_KEY` holds per order (JSON): the order as its owner may read it. */
export interface PendingOrder {
  id: string
  dealId: string
  userId: string
  quantity: number
  unitPrice: number
  /** ISO 8601, the Redis clock at the reservation. */
  acceptedAt: string
}
