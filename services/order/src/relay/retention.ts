import { retireDealCall, runDealScript } from '@flash-deal/contracts'
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
 * No entry can arrive after the end (the reservation judges the window by Redis's clock, and so
 * does retire-deal); the grace minute is a margin. Their purchase state gets an expiry,
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
    const { redis, registryKey, retentionMs, logger } = this.options
    const timing = { graceMs: ENDED_GRACE_MS, retentionMs }
    // Expiries first: a failure leaves the deals registered, and the next check sets them again.
    const retired = await Promise.all(
      members.map((dealId) => runDealScript(redis, retireDealCall(dealId, timing))),
    )
    const gone = new Set(members.filter((_, i) => retired[i]))
    if (gone.size === 0) return members
    await redis.srem(registryKey, ...gone)
    logger.info('relay: ended deals no longer drained', { deals: gone.size })
    return members.filter((dealId) => !gone.has(dealId))
  }
}
