import {
  dealBuyersKey,
  dealIdempotencyKey,
  dealInfoKey,
  dealOutboxKey,
  dealStockKey,
  ORDERS_ACCEPTED,
  OUTBOX_REGISTRY_KEY,
} from '@flash-deal/contracts'
import restoreDealLua from '@flash-deal/contracts/lua/restore-deal.lua' with { type: 'text' }
import { queries, type Sql } from '@flash-deal/db'
import { type Logger, type Telemetry, telemetryOff } from '@flash-deal/kit'
import type { Kafka } from '@flash-deal/kit/kafka'
import type { Redis } from '@flash-deal/kit/redis'

type DealRow = Awaited<ReturnType<typeof queries.listReconcilableDeals>>[number]
type RedisWithRestore = Redis & {
  restoreDeal(stockKey: string, infoKey: string, ...args: (string | number)[]): Promise<number>
}

/**
 * - `in-sync`: nothing in flight, Redis stock equals Postgres `stock_remaining`.
 * - `settling`: reservations are still on their way (outbox backlog or consumer lag).
 * - `drift`: nothing in flight, and still the two disagree (reported, not guessed at).
 * - `restored`: Redis had lost the deal; it was rebuilt from Postgres now.
 * - `missing`: Redis lost the deal and orders are still in flight; restored once they land.
 */
export type DealHealth = 'in-sync' | 'settling' | 'drift' | 'restored' | 'missing'

export interface DealReconciliation {
  dealId: string
  health: DealHealth
  redisStock: number | null
  postgresRemaining: number
  /** Outbox entries not yet relayed to Kafka. */
  outboxBacklog: number
  /** Redis stock minus Postgres remaining (0 when in sync; meaningful only when settled). */
  drift: number | null
}

export interface ReconciliationReport {
  at: string
  /** Records of `orders.accepted` the consumer has not committed yet (all deals). */
  consumerLag: number
  deals: DealReconciliation[]
}

export interface ReconcilerOptions {
  sql: Sql
  redis: Redis
  kafka: Kafka
  logger: Logger
  consumerGroup?: string
  topic?: string
  /** Deals that ended longer ago than this are left alone. */
  graceSeconds?: number
  /** Reports the last run's consumer lag and drift per deal as gauges; off when absent. */
  telemetry?: Telemetry
}

/**
 * Compares, per live or recently ended deal, Redis (the truth during the sale) with Postgres
 * (where every accepted order lands). While reservations are in flight the two legitimately
 * differ, so a deal is judged only once its outbox is empty and the consumer has no lag. After
 * a Redis loss it rebuilds the deal from Postgres — stock, buyers, idempotency records — once
 * everything still in flight has landed, so stock is neither lost nor handed out twice. The
 * gateway refuses purchases of a deal whose stock key is missing (503), so nothing is accepted
 * while the deal is being restored.
 */
export function createReconciler(options: ReconcilerOptions) {
  const { sql, logger, kafka } = options
  const redis = options.redis as RedisWithRestore
  redis.defineCommand('restoreDeal', { numberOfKeys: 2, lua: restoreDealLua })
  const topic = options.topic ?? ORDERS_ACCEPTED
  const group = options.consumerGroup ?? 'order-consumer'
  const graceSeconds = options.graceSeconds ?? 3600
  const admin = kafka.admin()
  let adminConnected: Promise<void> | undefined
  let last: ReconciliationReport | undefined
  const reportedDrift = new Map<string, number>()

  // Both gauges read the last report: collecting metrics never queries Kafka, Redis or Postgres.
  const meter = (options.telemetry ?? telemetryOff('order')).meter
  meter
    .createObservableGauge('flash_deal.consumer.lag', {
      description:
        'Records of the topic the consumer group has not committed (last reconciliation)',
      unit: '{message}',
    })
    .addCallback((result) => {
      if (!last) return
      result.observe(last.consumerLag, {
        'messaging.consumer.group.name': group,
        'messaging.destination.name': topic,
      })
    })
  meter
    .createObservableGauge('flash_deal.reconciler.drift', {
      description:
        'Redis stock minus Postgres remaining stock of a settled deal (last reconciliation)',
      unit: '{unit}',
    })
    .addCallback((result) => {
      // Only settled deals: while orders are in flight the difference is expected, not drift.
      for (const deal of last?.deals ?? []) {
        if (deal.drift === null || deal.health === 'settling') continue
        result.observe(deal.drift, { 'flash_deal.deal.id': deal.dealId })
      }
    })

  async function consumerLag(): Promise<number> {
    adminConnected ??= admin.connect().catch((error) => {
      adminConnected = undefined
      throw error
    })
    await adminConnected
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId: group, topics: [topic] }),
    ])
    const committedBy = new Map(
      (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
    )
    return ends.reduce((lag, end) => {
      const at = committedBy.get(end.partition) ?? -1
      return lag + Number(end.high) - (at >= 0 ? at : Number(end.low))
    }, 0)
  }

  async function restore(deal: DealRow) {
    const [buyers, records] = await Promise.all([
      queries.listDealBuyers(sql, { dealId: deal.id }),
      queries.listDealIdempotencyRecords(sql, { dealId: deal.id }),
    ])
    // Buyers and idempotency records first; the stock, written last, opens the deal again.
    const chunk = 1000
    for (let i = 0; i < buyers.length; i += chunk) {
      const part = buyers.slice(i, i + chunk).flatMap((b) => [b.userId, b.quantity ?? 0])
      await redis.hset(dealBuyersKey(deal.id), ...part)
    }
    for (let i = 0; i < records.length; i += chunk) {
      const part = records
        .slice(i, i + chunk)
        .flatMap((r) => [`${r.userId}:${r.idempotencyKey}`, `${r.id}:${r.quantity}`])
      await redis.hset(dealIdempotencyKey(deal.id), ...part)
    }
    const restored = await redis.restoreDeal(
      dealStockKey(deal.id),
      dealInfoKey(deal.id),
      deal.stockRemaining,
      deal.price,
      deal.perUserLimit,
      deal.startsAt.getTime(),
      deal.endsAt.getTime(),
      deal.productId,
    )
    await redis.sadd(OUTBOX_REGISTRY_KEY, deal.id)
    return restored === 1
  }

  async function reconcileDeal(deal: DealRow, lag: number): Promise<DealReconciliation> {
    const [stock, backlog] = await Promise.all([
      redis.get(dealStockKey(deal.id)),
      redis.xlen(dealOutboxKey(deal.id)),
    ])
    const base = {
      dealId: deal.id,
      postgresRemaining: deal.stockRemaining,
      outboxBacklog: backlog,
    }
    const settled = backlog === 0 && lag === 0
    if (stock === null) {
      if (!settled) return { ...base, health: 'missing', redisStock: null, drift: null }
      // Read the deal again: the consumer may have applied orders since the list was read.
      const fresh = await queries.getDeal(sql, { id: deal.id })
      if (!fresh) return { ...base, health: 'missing', redisStock: null, drift: null }
      // Checkout: Redis is rebuilt without the releases it has not been given; each adds its
      // units when the release sweeper applies it (release-order.lua), so none counts twice.
      const target = await queries.getDealRedisStock(sql, { id: deal.id })
      const restored = await restore({
        ...deal,
        stockRemaining: target?.redisStock ?? fresh.stockRemaining,
      })
      logger.warn('deal state restored in Redis from Postgres', {
        dealId: deal.id,
        stock: fresh.stockRemaining,
        restored,
      })
      return {
        ...base,
        postgresRemaining: fresh.stockRemaining,
        health: 'restored',
        redisStock: fresh.stockRemaining,
        drift: 0,
      }
    }
    const redisStock = Number(stock)
    // Releases decided in Postgres but not yet given back to Redis (checkout) are in flight too.
    const drift = redisStock + (deal.unappliedReleases ?? 0) - deal.stockRemaining
    if (!settled) return { ...base, health: 'settling', redisStock, drift }
    // Logged when a deal's drift appears or changes, not on every round.
    if (drift !== 0 && reportedDrift.get(deal.id) !== drift) {
      logger.error('deal drift: Redis and Postgres disagree with nothing in flight', {
        dealId: deal.id,
        redisStock,
        postgresRemaining: deal.stockRemaining,
        drift,
      })
    }
    if (drift === 0) reportedDrift.delete(deal.id)
    else reportedDrift.set(deal.id, drift)
    return { ...base, health: drift === 0 ? 'in-sync' : 'drift', redisStock, drift }
  }

  async function reconcile(): Promise<ReconciliationReport> {
    const lag = await consumerLag()
    const deals = await queries.listReconcilableDeals(sql, { graceSeconds })
    const results: DealReconciliation[] = []
    for (const deal of deals) results.push(await reconcileDeal(deal, lag))
    last = { at: new Date().toISOString(), consumerLag: lag, deals: results }
    return last
  }

  let timer: ReturnType<typeof setInterval> | undefined
  let running: Promise<unknown> | undefined
  return {
    reconcile,
    lastReport: () => last,
    /** Runs `reconcile` every `intervalMs`, one run at a time; failures are logged and retried. */
    start(intervalMs: number) {
      timer = setInterval(() => {
        if (running) return
        running = reconcile()
          .catch((error) => logger.error('reconciliation failed', { error }))
          .finally(() => {
            running = undefined
          })
      }, intervalMs)
    },
    async stop() {
      clearInterval(timer)
      await running
      await admin.disconnect()
    },
  }
}

export type Reconciler = ReturnType<typeof createReconciler>
