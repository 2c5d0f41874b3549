import { dealOutboxKey, dealStockKey, ORDERS_ACCEPTED } from '@flash-deal/contracts'
import { queries, type Sql } from '@flash-deal/db'
import { type Logger, type Meter, type Telemetry, telemetryOff } from '@flash-deal/kit'
import type { Kafka } from '@flash-deal/kit/kafka'
import type { Redis } from '@flash-deal/kit/redis'
import { type ReconcilerSettings, reconcilerDefaults } from '../config'
import { withDefaults } from '../settings'
import { ConsumerLag } from './consumer-lag'
import { type DealRow, restoreDeal } from './restore'

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

export interface ReconcilerOptions extends Partial<ReconcilerSettings> {
  sql: Sql
  redis: Redis
  kafka: Kafka
  logger: Logger
  topic?: string
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
export class Reconciler {
  private readonly settings: ReconcilerSettings
  private readonly topic: string
  private readonly lag: ConsumerLag
  private last: ReconciliationReport | undefined
  private readonly reportedDrift = new Map<string, number>()
  private timer: ReturnType<typeof setInterval> | undefined
  private running: Promise<unknown> | undefined

  constructor(private readonly options: ReconcilerOptions) {
    this.settings = withDefaults(reconcilerDefaults, options)
    this.topic = options.topic ?? ORDERS_ACCEPTED
    this.lag = new ConsumerLag(options.kafka, this.topic, this.settings.consumerGroup)
    this.registerGauges((options.telemetry ?? telemetryOff('order')).meter)
  }

  async reconcile(): Promise<ReconciliationReport> {
    const lag = await this.lag.read()
    const deals = await queries.listReconcilableDeals(this.options.sql, {
      graceSeconds: this.settings.graceSeconds,
    })
    const results: DealReconciliation[] = []
    for (const deal of deals) results.push(await this.reconcileDeal(deal, lag))
    this.last = { at: new Date().toISOString(), consumerLag: lag, deals: results }
    return this.last
  }

  /** Runs `reconcile` every `intervalMs`, one run at a time; failures are logged and retried. */
  start(intervalMs: number) {
    this.timer = setInterval(() => {
      if (this.running) return
      this.running = this.reconcile()
        .catch((error) => this.options.logger.error('reconciliation failed', { error }))
        .finally(() => {
          this.running = undefined
        })
    }, intervalMs)
  }

  async stop() {
    clearInterval(this.timer)
    await this.running
    await this.lag.close()
  }

  private async reconcileDeal(deal: DealRow, lag: number): Promise<DealReconciliation> {
    const { redis } = this.options
    const [stock, backlog] = await Promise.all([
      redis.get(dealStockKey(deal.id)),
      redis.xlen(dealOutboxKey(deal.id)),
    ])
    const base = { dealId: deal.id, postgresRemaining: deal.stockRemaining, outboxBacklog: backlog }
    const settled = backlog === 0 && lag === 0
    if (stock === null) {
      if (!settled) return { ...base, health: 'missing', redisStock: null, drift: null }
      return this.restore(deal, base)
    }
    const redisStock = Number(stock)
    // A stock that is not an integer (written by hand, or by a bug) is drift nobody can size;
    // one such deal must not fail the whole report (it was a 422 on the response schema).
    if (!Number.isInteger(redisStock)) {
      this.options.logger.error('deal stock in Redis is not an integer', { dealId: deal.id })
      return { ...base, health: 'drift', redisStock: null, drift: null }
    }
    // Releases decided in Postgres but not yet given back to Redis (checkout) are in flight too.
    const drift = redisStock + (deal.unappliedReleases ?? 0) - deal.stockRemaining
    if (!settled) return { ...base, health: 'settling', redisStock, drift }
    this.logDriftChange(deal, redisStock, drift)
    return { ...base, health: drift === 0 ? 'in-sync' : 'drift', redisStock, drift }
  }

  private async restore(
    deal: DealRow,
    base: Omit<DealReconciliation, 'health' | 'redisStock' | 'drift'>,
  ): Promise<DealReconciliation> {
    // Read the deal again: the consumer may have applied orders since the list was read.
    const fresh = await queries.getDeal(this.options.sql, { id: deal.id })
    if (!fresh) return { ...base, health: 'missing', redisStock: null, drift: null }
    const { sql, redis, logger } = this.options
    // Checkout: Redis is rebuilt without the releases it has not been given; each adds its
    // units when the release sweeper applies it (release-order.lua), so none counts twice.
    const target = await queries.getDealRedisStock(sql, { id: deal.id })
    const restored = await restoreDeal(sql, redis, {
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

  /** Logged when a deal's drift appears or changes, not on every round. */
  private logDriftChange(deal: DealRow, redisStock: number, drift: number) {
    if (drift !== 0 && this.reportedDrift.get(deal.id) !== drift) {
      this.options.logger.error('deal drift: Redis and Postgres disagree with nothing in flight', {
        dealId: deal.id,
        redisStock,
        postgresRemaining: deal.stockRemaining,
        drift,
      })
    }
    if (drift === 0) this.reportedDrift.delete(deal.id)
    else this.reportedDrift.set(deal.id, drift)
  }

  /** Both gauges read the last report: collecting metrics never queries Kafka, Redis or Postgres. */
  private registerGauges(meter: Meter) {
    meter
      .createObservableGauge('flash_deal.consumer.lag', {
        description:
          'Records of the topic the consumer group has not committed (last reconciliation)',
        unit: '{message}',
      })
      .addCallback((result) => {
        if (!this.last) return
        result.observe(this.last.consumerLag, {
          'messaging.consumer.group.name': this.settings.consumerGroup,
          'messaging.destination.name': this.topic,
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
        for (const deal of this.last?.deals ?? []) {
          if (deal.drift === null || deal.health === 'settling') continue
          result.observe(deal.drift, { 'flash_deal.deal.id': deal.dealId })
        }
      })
  }
}
