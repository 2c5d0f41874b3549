/**
 * A deal's Redis state, owned by this module and its two neighbours: here the key layout and the
 * relay's registry; the formats of the `info` fields and of the idempotency and pending-order
 * records in deal-records.ts; the KEYS and ARGV of every script that writes it in deal-scripts.ts
 * (the deal's lifecycle) and order-scripts.ts (one order: reserve, release). `api/deal-state.md`
 * is the same contract for people and for a second implementation (the Go product service
 * follows it).
 *
 * | key                     | type   | holds                                                    |
 * |-------------------------|--------|----------------------------------------------------------|
 * | `deal:{id}:stock`       | string | units left; absent = the deal is not (or no longer) open |
 * | `deal:{id}:info`        | hash   | `DEAL_INFO_FIELDS` (instants in epoch ms)                |
 * | `deal:{id}:buyers`      | hash   | user id → units bought so far                            |
 * | `deal:{id}:idempotency` | hash   | `userId:key` → `orderId:quantity` of the first purchase  |
 * | `deal:{id}:outbox`      | stream | one `OrderAccepted` record per accepted purchase         |
 * | `deal:{id}:orders`      | hash   | order id → the accepted order, readable at once          |
 * | `deal:{id}:released`    | set    | ids of orders whose units release-order gave back        |
 *
 * The `{id}` hash tag puts every key of one deal in one cluster slot, so one script call can
 * touch them all (Redis Cluster, Upstash). Once a deal has ended and its outbox is drained, the
 * relay gives every key but `info` an expiry (a day after the end by default,
 * `DEAL_RETENTION_MS`): until then a retry answers the original order; after it a purchase is
 * refused as `ended`.
 */
export * from './deal-records'

export const dealStockKey = (dealId: string) => `deal:{${dealId}}:stock`
export const dealInfoKey = (dealId: string) => `deal:{${dealId}}:info`
export const dealBuyersKey = (dealId: string) => `deal:{${dealId}}:buyers`
export const dealIdempotencyKey = (dealId: string) => `deal:{${dealId}}:idempotency`
export const dealOutboxKey = (dealId: string) => `deal:{${dealId}}:outbox`
export const dealOrdersKey = (dealId: string) => `deal:{${dealId}}:orders`
export const dealReleasedKey = (dealId: string) => `deal:{${dealId}}:released`

/** Every key of a deal, in the order `reserve.lua` takes them as KEYS[1..6]. */
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
    dealReleasedKey(dealId),
  ] as const

/**
 * The set of deal ids whose outbox the relay drains. Kept apart from the deal's slot on purpose
 * (it spans deals), so no deal script can write it: `registerDealOutbox` does, right after
 * publish-deal or restore-deal.
 */
export const OUTBOX_REGISTRY_KEY = 'outbox:deals'

/** The consumer group the relay reads every outbox stream with. */
export const OUTBOX_GROUP = 'relay'

/** The one command the registry needs (an ioredis client is one). */
export interface SetWriter {
  sadd(key: string, ...members: string[]): Promise<number>
}

/**
 * Puts a deal in the relay's registry (`SADD outbox:deals <id>`; idempotent). The one writer of
 * the registry's members besides the relay itself; a deal whose outbox is not registered would
 * take purchases that never reach Kafka, so callers do it before the deal can be bought from
 * (the product service: inside the transaction that creates the deal).
 */
export async function registerDealOutbox(redis: SetWriter, dealId: string): Promise<void> {
  await redis.sadd(OUTBOX_REGISTRY_KEY, dealId)
}
