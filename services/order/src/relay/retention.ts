import { dealInfoKey, dealOutboxKey, dealPurchaseStateKeys } from '@flash-deal/contracts'
import type { Logger } from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'

/** How long after its end a deal with an empty outbox stays in the registry. */
const ENDED_GRACE_MS = 60_000
/** How often the registry is checked for deals that are done. */
const CHECK_EVERY_MS = 60_000

export interface DealRetentionOptions {
  redis: Redis
  logger: Logger
  /** The set of deal ids the relay drains. */
  registryKey: string
  /** How long after its end a deal's purchase state stays in Redis. */
  retentionMs: number
}

/**
 * Retires the deals the relay is done with. It lives in the relay because only the relay can say
 * a deal is done: ended, and its outbox drained (every accepted order handed to Kafka) — and the
 * registry it drops them from is the relay's own read list. Dropping them keeps the read across
 * all streams (its cost grows with every stream named) as small as the set of deals that matter.
 * No entry can arrive after the end (the reservation judges the window by Redis's clock); the
 * minute covers this process's clock being behind. Their purchase state gets an expiry,
 * `retentionMs` after the end: without it every sale would leave its buyers and idempotency
 * records (one per purchase) in Redis for good.
 */
export class DealRetention {
  private lastCheckAt = 0

  constructor(private readonly options: DealRetentionOptions) {}

  /** The registered deals still to drain; at most once a minute, retires the others first. */
  async retireDone(members: string[]): Promise<string[]> {
    if (Date.now() - this.lastCheckAt < CHECK_EVERY_MS) return members
    this.lastCheckAt = Date.now()
    const done = await this.doneDeals(members)
    if (done.length === 0) return members
    const { redis, registryKey, retentionMs, logger } = this.options
    // Expiries first: a failure leaves the deal registered, and the next check sets them again.
    const expiries = redis.pipeline()
    for (const { dealId, endsAt } of done)
      for (const key of dealPurchaseStateKeys(dealId)) expiries.pexpireat(key, endsAt + retentionMs)
    for (const [error] of (await expiries.exec()) ?? []) if (error) throw error
    const gone = new Set(done.map(({ dealId }) => dealId))
    await redis.srem(registryKey, ...gone)
    logger.info('relay: ended deals no longer drained', { deals: gone.size })
    return members.filter((dealId) => !gone.has(dealId))
  }

  /** The deals that ended over a minute ago and have nothing left to relay. */
  private async doneDeals(members: string[]) {
    const pipeline = this.options.redis.pipeline()
    for (const dealId of members) {
      pipeline.xlen(dealOutboxKey(dealId))
      pipeline.hget(dealInfoKey(dealId), 'endsAt')
    }
    const replies = (await pipeline.exec()) ?? []
    const cutoff = Date.now() - ENDED_GRACE_MS
    const done: { dealId: string; endsAt: number }[] = []
    members.forEach((dealId, i) => {
      const backlog = Number(replies[2 * i]?.[1] ?? 1)
      const endsAt = Number(replies[2 * i + 1]?.[1] ?? Number.POSITIVE_INFINITY)
      if (backlog === 0 && endsAt < cutoff) done.push({ dealId, endsAt })
    })
    return done
  }
}
