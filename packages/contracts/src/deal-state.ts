import { defineLuaScript, type LuaEvaluator, type LuaScript } from '@flash-deal/kit/lua'
import mirrorStockLua from '../lua/mirror-stock.lua' with { type: 'text' }
import publishDealLua from '../lua/publish-deal.lua' with { type: 'text' }
import releaseOrderLua from '../lua/release-order.lua' with { type: 'text' }
import rescheduleDealLua from '../lua/reschedule-deal.lua' with { type: 'text' }
import reserveLua from '../lua/reserve.lua' with { type: 'text' }
import restoreDealLua from '../lua/restore-deal.lua' with { type: 'text' }
import restoreDealRecordsLua from '../lua/restore-deal-records.lua' with { type: 'text' }
import retireDealLua from '../lua/retire-deal.lua' with { type: 'text' }
import { idempotencyField, idempotencyRecord } from './deal-records'

/**
 * A deal's Redis state, owned here: the key layout, the `info` fields, the formats of the
 * idempotency and pending-order records (deal-records.ts), the relay's registry, and the KEYS
 * and ARGV of every script that writes it. `api/deal-state.md` is the same contract for people
 * and for a second implementation (the Go product service follows it).
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

/*
 * The scripts that write a deal's state (`packages/contracts/lua/*.lua`) and, for each one, the
 * builder of its KEYS and ARGV and the reader of its reply: the only way TypeScript calls them,
 * through the kit's Lua loader. The Go product service builds the same calls
 * (`packages/contracts/lua/calls.go`); one fixture both sides are tested against keeps them equal.
 */
export const dealScripts = {
  publishDeal: defineLuaScript('publish-deal', publishDealLua),
  rescheduleDeal: defineLuaScript('reschedule-deal', rescheduleDealLua),
  reserve: defineLuaScript('reserve', reserveLua),
  restoreDeal: defineLuaScript('restore-deal', restoreDealLua),
  mirrorStock: defineLuaScript('mirror-stock', mirrorStockLua),
  releaseOrder: defineLuaScript('release-order', releaseOrderLua),
  retireDeal: defineLuaScript('retire-deal', retireDealLua),
  restoreDealRecords: defineLuaScript('restore-deal-records', restoreDealRecordsLua),
} as const

/** One call of a deal script: what to send, and how to read what comes back. */
export interface DealScriptCall<Reply> {
  script: LuaScript
  keys: readonly string[]
  args: readonly (string | number)[]
  reply(raw: unknown): Reply
}

/** Runs a deal script call (EVALSHA, EVAL on NOSCRIPT) and reads its reply. */
export async function runDealScript<Reply>(
  redis: LuaEvaluator,
  call: DealScriptCall<Reply>,
): Promise<Reply> {
  return call.reply(await call.script.run(redis, call.keys, call.args))
}

/** A deal's terms as the scripts write them to `deal:{id}:info` (and its stock). */
export interface DealTerms {
  dealId: string
  stock: number
  price: number
  perUserLimit: number
  startsAt: Date
  endsAt: Date
  productId: string
}

/** The scripts that answer 1 or 0 (did it write). */
const wrote = (raw: unknown) => Number(raw) === 1

const termsArgs = (deal: Omit<DealTerms, 'productId' | 'dealId'>) => [
  deal.stock,
  deal.price,
  deal.perUserLimit,
  deal.startsAt.getTime(),
  deal.endsAt.getTime(),
]

/** publish-deal: stock and info only where absent. Reply: true when the stock was set now. */
export const publishDealCall = (deal: DealTerms): DealScriptCall<boolean> => ({
  script: dealScripts.publishDeal,
  keys: [dealStockKey(deal.dealId), dealInfoKey(deal.dealId)],
  args: [...termsArgs(deal), deal.productId],
  reply: wrote,
})

/**
 * reschedule-deal: replace stock and info while the deal has not started by Redis's clock.
 * Reply: true when replaced, false when it has started (nothing written).
 */
export const rescheduleDealCall = (
  deal: Omit<DealTerms, 'productId'>,
): DealScriptCall<boolean> => ({
  script: dealScripts.rescheduleDeal,
  keys: [dealStockKey(deal.dealId), dealInfoKey(deal.dealId)],
  args: termsArgs(deal),
  reply: wrote,
})

/**
 * restore-deal: rebuild info and stock (`stock` = what Postgres has left) after Redis lost
 * them, only while the stock is still missing. Reply: true when restored.
 */
export const restoreDealCall = (deal: DealTerms): DealScriptCall<boolean> => ({
  script: dealScripts.restoreDeal,
  keys: [dealStockKey(deal.dealId), dealInfoKey(deal.dealId)],
  args: [...termsArgs(deal), deal.productId],
  reply: wrote,
})

/** mirror-stock (sync mode): lower the stock to `remaining`, never raise it. Reply: lowered. */
export const mirrorStockCall = (dealId: string, remaining: number): DealScriptCall<boolean> => ({
  script: dealScripts.mirrorStock,
  keys: [dealStockKey(dealId)],
  args: [remaining],
  reply: wrote,
})

/**
 * restore-deal-records (the reconciler, before restore-deal): some of a lost deal's buyers and
 * idempotency records, from Postgres, written only while its stock is missing. Reply: written.
 */
export const restoreDealRecordsCall = (
  dealId: string,
  records: {
    buyers: readonly { userId: string; units: number }[]
    purchases: readonly {
      userId: string
      idempotencyKey: string
      orderId: string
      quantity: number
    }[]
  },
): DealScriptCall<boolean> => ({
  script: dealScripts.restoreDealRecords,
  keys: [dealStockKey(dealId), dealBuyersKey(dealId), dealIdempotencyKey(dealId)],
  args: [
    records.buyers.length,
    ...records.buyers.flatMap((b) => [b.userId, b.units]),
    ...records.purchases.flatMap((p) => [
      idempotencyField(p.userId, p.idempotencyKey),
      idempotencyRecord(p.orderId, p.quantity),
    ]),
  ],
  reply: wrote,
})

/**
 * retire-deal (the relay): once the deal ended over `graceMs` ago by Redis's clock and its outbox
 * is drained, every key but `info` expires `retentionMs` after the end. Reply: true when retired.
 */
export const retireDealCall = (
  dealId: string,
  timing: { graceMs: number; retentionMs: number },
): DealScriptCall<boolean> => ({
  script: dealScripts.retireDeal,
  keys: [...dealKeys(dealId), dealReleasedKey(dealId)],
  args: [timing.graceMs, timing.retentionMs],
  reply: wrote,
})

export const RESERVE_OUTCOMES = [
  'accepted',
  'replayed',
  'idempotency_key_reused',
  'deal_not_found',
  'deal_unavailable',
  'not_started',
  'ended',
  'quantity_above_limit',
  'limit_reached',
  'sold_out',
] as const
export type ReserveOutcome = (typeof RESERVE_OUTCOMES)[number]

export interface ReserveReply {
  outcome: ReserveOutcome
  /** `accepted`: the new order; `replayed`, `idempotency_key_reused`: the first one; else ''. */
  orderId: string
  /** `accepted`: the unit price; `quantity_above_limit`, `limit_reached`: the limit; else 0. */
  value: number
}

export interface Reservation {
  dealId: string
  userId: string
  idempotencyKey: string
  quantity: number
  /** The id the order gets if accepted (UUIDv7, made by the caller). */
  orderId: string
  /** W3C traceparent the relay and the consumer continue from; '' when none. */
  traceparent: string
}

function reserveReply(raw: unknown): ReserveReply {
  const [outcome, orderId, value] = raw as [string, string, number]
  if (!(RESERVE_OUTCOMES as readonly string[]).includes(outcome))
    throw new Error(`reserve.lua answered an unknown outcome: ${outcome}`)
  return { outcome: outcome as ReserveOutcome, orderId, value: Number(value) }
}

/** reserve: one purchase, decided and recorded (stock, buyers, idempotency, orders, outbox). */
export const reserveCall = (purchase: Reservation): DealScriptCall<ReserveReply> => ({
  script: dealScripts.reserve,
  keys: dealKeys(purchase.dealId),
  args: [
    purchase.userId,
    purchase.idempotencyKey,
    purchase.quantity,
    purchase.orderId,
    purchase.dealId,
    purchase.traceparent,
  ],
  reply: reserveReply,
})

/** A release Postgres has decided (checkout), as release-order gives it back to Redis. */
export interface OrderRelease {
  orderId: string
  dealId: string
  userId: string
  quantity: number
}

export const RELEASE_OUTCOMES = ['applied', 'duplicate', 'absent'] as const
export type ReleaseOutcome = (typeof RELEASE_OUTCOMES)[number]

function releaseReply(raw: unknown): ReleaseOutcome {
  if (!(RELEASE_OUTCOMES as readonly unknown[]).includes(raw))
    throw new Error(`release-order.lua answered an unknown outcome: ${String(raw)}`)
  return raw as ReleaseOutcome
}

/** release-order: the order's units back to stock and the buyer's count, once per order id. */
export const releaseOrderCall = (release: OrderRelease): DealScriptCall<ReleaseOutcome> => ({
  script: dealScripts.releaseOrder,
  keys: [
    dealStockKey(release.dealId),
    dealBuyersKey(release.dealId),
    dealReleasedKey(release.dealId),
  ],
  args: [release.orderId, release.userId, release.quantity],
  reply: releaseReply,
})
