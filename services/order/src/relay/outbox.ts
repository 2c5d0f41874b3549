import { dealOutboxKey, OUTBOX_GROUP } from '@flash-deal/contracts'
import type { Logger } from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'
import type { DealRetention } from './retention'
import { slotGroups } from './slots'

type StreamEntry = [id: string, fields: string[]]
/** Entries read, per outbox stream key. */
export type OutboxBatch = [key: string, entries: StreamEntry[]][]

export interface OutboxReaderOptions {
  redis: Redis
  logger: Logger
  /** This relay's name in the consumer group; entries it read but did not finish stay its own. */
  consumerName: string
  /** The set of deal ids to drain. */
  registryKey: string
  batchSize: number
  claimIdleMs: number
  retention: DealRetention
}

const isRedisError = (error: unknown, code: string) =>
  error instanceof Error && error.message.startsWith(code)

/**
 * The relay's side of the deals' outbox streams, read with one consumer group: which deals to
 * read (the registry, with a group on each stream), what a silent relay left behind (takeover),
 * and what this relay holds (re-read after a restart or a failed send) before anything new.
 */
export class OutboxReader {
  /** The deals being drained, sorted; refreshed from the registry at most once a second. */
  deals: string[] = []
  private readonly groups = new Set<string>()
  private dealsReadAt = 0
  // After a start or a failed send, first re-read what this relay holds unacknowledged.
  private ownPending = true
  private lastClaimAt = 0

  constructor(private readonly options: OutboxReaderOptions) {}

  /** The next batch: what this relay holds first, then new entries, waiting up to `blockMs`. */
  async read(blockMs: number): Promise<OutboxBatch> {
    await this.refreshDeals()
    await this.claimAbandoned()
    if (this.deals.length === 0) return []
    try {
      if (this.ownPending) {
        const held = await this.readFrom('0', blockMs)
        if (held.length > 0) return held
        this.ownPending = false
      }
      return await this.readFrom('>', blockMs)
    } catch (error) {
      if (!isRedisError(error, 'NOGROUP')) throw error
      // The stream or its group vanished (Redis lost its data): create them again.
      this.groups.clear()
      this.dealsReadAt = 0
      return []
    }
  }

  /** A send failed: what was read stays this relay's, to be read again before anything new. */
  readAgain() {
    this.ownPending = true
  }

  /** Kafka has the batch: acknowledge it, and delete it, so a stream's length is its backlog. */
  async acknowledge(batch: OutboxBatch) {
    const { redis } = this.options
    // One MULTI per slot group (one in all on a single node; see slots.ts).
    const groups = slotGroups(redis, batch, ([key]) => key)
    await Promise.all(
      groups.map((streams) => {
        const transaction = redis.multi()
        for (const [key, entries] of streams) {
          const ids = entries.map(([id]) => id)
          transaction.xack(key, OUTBOX_GROUP, ...ids)
          transaction.xdel(key, ...ids)
        }
        return transaction.exec()
      }),
    )
  }

  private async refreshDeals() {
    if (Date.now() - this.dealsReadAt < 1000) return
    const { redis, registryKey, retention } = this.options
    this.deals = (await retention.retireDone(await redis.smembers(registryKey))).sort()
    this.dealsReadAt = Date.now()
    for (const dealId of this.deals) {
      const key = dealOutboxKey(dealId)
      if (this.groups.has(key)) continue
      try {
        // From id 0: entries appended before the group existed are relayed too.
        await redis.xgroup('CREATE', key, OUTBOX_GROUP, '0', 'MKSTREAM')
      } catch (error) {
        if (!isRedisError(error, 'BUSYGROUP')) throw error
      }
      this.groups.add(key)
    }
  }

  /** Takes over entries a dead relay left pending for longer than `claimIdleMs`. */
  private async claimAbandoned() {
    const { redis, logger, consumerName, claimIdleMs, batchSize } = this.options
    if (Date.now() - this.lastClaimAt < claimIdleMs / 2) return
    this.lastClaimAt = Date.now()
    for (const dealId of this.deals) {
      const key = dealOutboxKey(dealId)
      const [, claimed] = (await redis.xautoclaim(
        key,
        OUTBOX_GROUP,
        consumerName,
        claimIdleMs,
        '0',
        'COUNT',
        batchSize,
      )) as [string, StreamEntry[]]
      if (claimed.length > 0) {
        logger.warn('relay took over entries of a silent relay', {
          dealId,
          entries: claimed.length,
        })
        this.ownPending = true
      }
    }
  }

  /**
   * What the deals' streams hold from `from`: one XREADGROUP per slot group (slots.ts). A single
   * group (one Redis node) blocks up to `blockMs` for new entries. Several (a cluster) are read
   * at once without blocking — blocking reads queued on one node's connection would wait in
   * turn — and an empty round then waits `blockMs` before the next.
   */
  private async readFrom(from: '0' | '>', blockMs: number): Promise<OutboxBatch> {
    const groups = slotGroups(this.options.redis, this.deals.map(dealOutboxKey), (key) => key)
    const block = from === '>' && groups.length === 1 ? blockMs : undefined
    const replies = await Promise.all(groups.map((keys) => this.readStreams(keys, from, block)))
    const batch = replies.flat()
    if (batch.length === 0 && from === '>' && groups.length > 1) await Bun.sleep(blockMs)
    return batch
  }

  private async readStreams(keys: string[], from: '0' | '>', blockMs: number | undefined) {
    const { redis, consumerName, batchSize } = this.options
    const reply = (await redis.call(
      'XREADGROUP',
      'GROUP',
      OUTBOX_GROUP,
      consumerName,
      'COUNT',
      batchSize,
      ...(blockMs === undefined ? [] : ['BLOCK', blockMs]),
      'STREAMS',
      ...keys,
      ...keys.map(() => from),
    )) as OutboxBatch | null
    return (reply ?? []).filter(([, entries]) => entries.length > 0)
  }
}
