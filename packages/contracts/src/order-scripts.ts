import { type DealScriptCall, dealScripts } from './deal-scripts'
import { dealBuyersKey, dealKeys, dealReleasedKey, dealStockKey } from './deal-state'

/*
 * The two scripts one order runs: reserve (the purchase, decided and recorded in one call) and
 * release-order (its units given back once checkout released it). Keys: deal-state.ts.
 */
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
