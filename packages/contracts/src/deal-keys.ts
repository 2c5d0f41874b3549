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
 * | `deal:{id}:orders`      | hash   | order id → the accepted order, readable at once (see below) |
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
export const dealOrdersKey = (dealId: string) => `deal:{${dealId}}:orders`

/** Every key of a deal, in the order the Lua scripts expect them as KEYS[1..6]. */
export const dealKeys = (dealId: string) =>
  [
    dealStockKey(dealId),
    dealInfoKey(dealId),
    dealBuyersKey(dealId),
    dealIdempotencyKey(dealId),
    dealOutboxKey(dealId),
    dealOrdersKey(dealId),
  ] as const

/** The keys of a deal's purchase state: all but `info`, which outlives them (see above). */
export const dealPurchaseStateKeys = (dealId: string) =>
  [
    dealStockKey(dealId),
    dealBuyersKey(dealId),
    dealIdempotencyKey(dealId),
    dealOutboxKey(dealId),
    dealOrdersKey(dealId),
  ] as const

/**
 * The set of deal ids whose outbox the relay drains. Kept apart from the deal's slot on purpose
 * (it spans deals); written when a deal is published and when the reconciler restores one.
 */
export const OUTBOX_REGISTRY_KEY = 'outbox:deals'

/** The consumer group the relay reads every outbox stream with. */
export const OUTBOX_GROUP = 'relay'

/**
 * An accepted order as `reserve.lua` records it in `deal:{id}:orders`, in the same atomic step
 * as the reservation and the outbox record, so its `Location` answers at once, whatever the
 * relay and the consumer are doing. Field = order id, value =
 * `userId:quantity:unitPrice:acceptedAtMs` (Redis's clock). Only the gateway's script writes
 * it; the relay gives it the deal's retention expiry with the rest of the purchase state. The
 * order service reads it when Postgres has no row for an order yet.
 */
export interface PendingOrder {
  id: string
  dealId: string
  userId: string
  quantity: number
  unitPrice: number
  /** ISO 8601, the Redis clock at the reservation. */
  acceptedAt: string
}

/** Reads a `deal:{id}:orders` value; null for one that is not in the script's format. */
export function parsePendingOrder(
  dealId: string,
  orderId: string,
  value: string,
): PendingOrder | null {
  const [userId, quantity, unitPrice, acceptedAtMs] = value.split(':')
  const numbers = [quantity, unitPrice, acceptedAtMs].map(Number)
  if (!userId || numbers.some((n) => !Number.isSafeInteger(n))) return null
  return {
    id: orderId,
    dealId,
    userId,
    quantity: numbers[0] as number,
    unitPrice: numbers[1] as number,
    acceptedAt: new Date(numbers[2] as number).toISOString(),
  }
}
