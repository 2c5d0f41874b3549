import {
  type OrderRelease,
  type ReleaseOutcome,
  releaseOrderCall,
  runDealScript,
} from '@flash-deal/contracts'
import { queries, type Sql, type TransactionSql } from '@flash-deal/db'
import type { Logger } from '@flash-deal/kit'
import type { LuaEvaluator } from '@flash-deal/kit/lua'

export type ReleaseReason = 'expired' | 'cancelled'

/**
 * Puts a held order's units back on sale, exactly once, in two steps that converge whatever
 * crashes between them:
 *
 * 1. `decide` — ONE Postgres statement inside the caller's transaction: the order leaves
 *    `confirmed`, `stock_remaining` gets the units back, and the release outbox
 *    (`order_releases`) gets a row. Either all of it commits or none.
 * 2. `apply` — release-order.lua gives Redis the units (stock += q, the buyer's count −= q),
 *    a no-op for an order id it has seen; then the row is marked applied. Run right after the
 *    commit (so a live deal sells the units again at once) and, for rows left unapplied by a
 *    crash or a Redis outage, by the `ReleaseSweeper`.
 *
 * Until a row is applied, Postgres remaining = Redis stock + the unapplied releases: the
 * reconciler compares with that, and rebuilds a lost deal's stock without them (they are
 * added when applied).
 */
export class Releaser {
  constructor(private readonly deps: { sql: Sql; redis: LuaEvaluator; logger: Logger }) {}

  /** Step 1, in the caller's transaction; null when the order was not held (nothing changed). */
  async decide(
    tx: TransactionSql,
    orderId: string,
    reason: ReleaseReason,
  ): Promise<OrderRelease | null> {
    return (await queries.releaseOrder(tx, { id: orderId, reason })) ?? null
  }

  /** Step 2 after the commit; a failure is logged and left to the sweeper (never thrown). */
  async applySoon(releases: OrderRelease[]): Promise<void> {
    for (const release of releases) {
      try {
        await this.apply(this.deps.sql, release, false)
      } catch (error) {
        this.deps.logger.warn('release not applied to Redis yet; the sweeper retries it', {
          orderId: release.orderId,
          error,
        })
      }
    }
  }

  /**
   * Gives Redis the units and marks the release applied. `absent` (no stock key) stays
   * unapplied while the deal runs — the reconciler restores the deal without it, and the next
   * try adds it — and counts as applied once the deal is over (Redis sells nothing more).
   */
  async apply(db: Sql | TransactionSql, release: OrderRelease, dealEnded: boolean) {
    const outcome: ReleaseOutcome = await runDealScript(this.deps.redis, releaseOrderCall(release))
    if (outcome === 'absent' && !dealEnded) return outcome
    await queries.markReleaseApplied(db, { orderId: release.orderId })
    return outcome
  }
}

/** What a background job that releases orders (expiry, the sweeper) is built with. */
export interface ReleaseJobOptions {
  sql: Sql
  releaser: Releaser
  logger: Logger
  intervalMs: number
  /** Rows per round (one transaction). */
  batch?: number
}
