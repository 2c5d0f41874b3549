/**
 * One deal's books after a bench run (bench-check.ts): the orders the gateway accepted, once they
 * have all reached Postgres, against Postgres's rows and stock and Redis's stock.
 */
import { dealOutboxKey, dealStockKey } from '@flash-deal/contracts'
import { queries, type Sql } from '@flash-deal/db'
import type { Redis } from '@flash-deal/kit/redis'
import type { Verdict } from './bench-checkout'
import type { Mode } from './bench-goals'

/** What every check of the run reads and reports to. */
export interface BenchContext {
  sql: Sql
  redis: Redis
  verdict: Verdict
  /** How long to wait for the async orders to reach Postgres. */
  drainTimeoutMs: number
  /** false: no relay or consumer in this tree, so async orders cannot reach Postgres. */
  pipelineRunning: boolean
}

/** A deal's order rows in Postgres: how many, how many confirmed, and their units. */
export async function orderTotals(sql: Sql, dealId: string) {
  const row = await queries.dealOrderTotals(sql, { dealId })
  return {
    orders: row?.orders ?? 0,
    confirmed: row?.confirmed ?? 0,
    confirmedQuantity: row?.confirmedQuantity ?? 0,
  }
}

/** Polls Postgres until it has `accepted` order rows for the deal, or the time is up. */
async function waitForOrders(
  { sql, drainTimeoutMs }: BenchContext,
  mode: Mode,
  dealId: string,
  accepted: number,
) {
  const started = Date.now()
  let lastReport = Number.NEGATIVE_INFINITY
  for (;;) {
    const current = await orderTotals(sql, dealId)
    const elapsed = Date.now() - started
    // More rows than accepted cannot get better by waiting.
    if (current.orders >= accepted) {
      // How far the drain lagged the acceptance: near 0 s means it kept up during the run.
      console.log(
        `  ${mode}: ${current.orders} orders in Postgres after waiting ${(elapsed / 1000).toFixed(1)} s`,
      )
      return current
    }
    if (elapsed >= drainTimeoutMs) {
      console.log(`  ${mode}: gave up waiting after ${drainTimeoutMs / 1000} s`)
      return current
    }
    if (elapsed - lastReport >= 5000) {
      lastReport = elapsed
      console.log(
        `  ${mode}: ${current.orders} / ${accepted} orders in Postgres after ${(elapsed / 1000).toFixed(0)} s`,
      )
    }
    await Bun.sleep(500)
  }
}

/** The books of one deal of the run: `accepted` purchases of its `stock` units. */
export async function checkDeal(
  context: BenchContext,
  mode: Mode,
  run: { dealId: string; accepted: number; stock: number },
) {
  const { sql, redis, verdict } = context
  const { dealId, accepted, stock } = run
  console.log(`${mode} deal ${dealId}: ${accepted} purchases accepted by the gateway`)
  // Zero accepted would make every comparison below hold trivially.
  verdict(accepted > 0, `${mode}: the run had purchases accepted (${accepted})`)
  const redisStock = async () => {
    const value = await redis.get(dealStockKey(dealId))
    return value === null ? null : Number(value)
  }

  if (mode !== 'sync' && !context.pipelineRunning) {
    // Redis alone can still be checked: every 202 took one unit and left one outbox record.
    const [stockNow, outbox] = await Promise.all([redisStock(), redis.xlen(dealOutboxKey(dealId))])
    verdict(
      stockNow === stock - accepted,
      `${mode}: Redis stock ${stockNow} == ${stock} - ${accepted} accepted`,
    )
    console.log(`  ${mode}: outbox stream holds ${outbox} records waiting for a relay`)
    verdict(
      false,
      `${mode}: cannot confirm accepted == orders in Postgres: no outbox relay or Kafka consumer ` +
        'in this tree (services/order/src/relay/main.ts, services/order/src/consumer/main.ts)',
    )
    return
  }

  const orders = await waitForOrders(context, mode, dealId, accepted)
  const deal = await queries.getDeal(sql, { id: dealId })
  if (!deal) {
    verdict(false, `${mode}: deal ${dealId} is not in Postgres`)
    return
  }
  const stockNow = await redisStock()
  verdict(
    accepted === orders.orders,
    `${mode}: ${accepted} accepted == ${orders.orders} order rows`,
  )
  verdict(
    orders.confirmed === orders.orders,
    `${mode}: every order row confirmed (${orders.confirmed} of ${orders.orders})`,
  )
  verdict(
    deal.stockRemaining === deal.stock - orders.confirmedQuantity,
    `${mode}: stock_remaining ${deal.stockRemaining} == stock ${deal.stock} - ${orders.confirmedQuantity} units sold`,
  )
  verdict(deal.stockRemaining >= 0, `${mode}: stock_remaining ${deal.stockRemaining} >= 0`)
  verdict(
    stockNow === deal.stockRemaining,
    `${mode}: Redis ${dealStockKey(dealId)} ${stockNow} == Postgres stock_remaining ${deal.stockRemaining}`,
  )
}
