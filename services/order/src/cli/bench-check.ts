/**
 * The correctness check after `make bench-purchase`: what the load generator saw accepted must be
 * exactly what Postgres and Redis hold. For each deal of the run it waits (bounded) until
 * Postgres has as many order rows as k6 counted accepted purchases (the async ones reach
 * Postgres through the outbox relay and the Kafka consumer, so they need time to drain), then
 * checks: accepted == rows, every row confirmed, stock_remaining == stock - units sold,
 * stock_remaining >= 0, and the Redis stock equals Postgres. Prints one PASS/FAIL line per check
 * and exits 1 on any failure. The throughput goals are printed too, as information only.
 *
 *   ASYNC_PIPELINE=running|absent bun services/order/src/cli/bench-check.ts setup.json summary.json
 *
 * With `--backlog` (before the relay and consumer start) it checks that the async front-door
 * runs' orders (async, traced, async-upstash, edge) are really waiting: every accepted purchase
 * is an outbox record and none is in Postgres yet — else the drain figure would time a backlog
 * someone else already drained.
 * With `--drain` it only waits until those orders are all in Postgres and prints how fast the
 * backlog drained, timed from the first order that reached Postgres to the last (the relay's and
 * consumer's start-up is not the drain); BENCH_DRAIN_OUT names a file for that window and the
 * order count (scripts/bench/cpu-report.ts charges its CPU).
 *
 * BENCH_CHECKOUT names the checkout phase's figures (scripts/bench/checkout.ts): its deal's books
 * are checked too (./bench-checkout.ts), asking the payment sandbox at BENCH_SANDBOX_URL about
 * every paid order.
 *
 * ASYNC_PIPELINE=absent (no relay or consumer in this tree): the async orders cannot reach
 * Postgres, so the check says so and fails at once instead of waiting for nothing.
 */
import { dealOutboxKey, dealStockKey } from '@flash-deal/contracts'
import { connect, queries } from '@flash-deal/db'
import { createLogger } from '@flash-deal/kit'
import { closeRedis, createRedis } from '@flash-deal/kit/redis'
import { type CheckoutSummary, checkCheckout } from './bench-checkout'
import {
  type BenchSetup,
  type BenchSummary,
  type CrowdSummary,
  type Mode,
  printGoals,
  type StoreLimits,
} from './bench-goals'

const env = process.env
const phase =
  process.argv[2] === '--drain' || process.argv[2] === '--backlog' ? process.argv[2] : ''
const [setupPath, summaryPath] = process.argv.slice(phase ? 3 : 2)
if (!setupPath || !summaryPath) {
  console.error(
    'usage: bun services/order/src/cli/bench-check.ts [--backlog|--drain] <setup.json> <summary.json>',
  )
  process.exit(64)
}
const pipelineRunning = env.ASYNC_PIPELINE !== 'absent'
const drainTimeoutMs = Number(env.BENCH_DRAIN_TIMEOUT_S ?? 60) * 1000
const crowd = env.BENCH_CROWD
  ? ((await Bun.file(env.BENCH_CROWD).json()) as CrowdSummary)
  : undefined

const checkout = env.BENCH_CHECKOUT
  ? ((await Bun.file(env.BENCH_CHECKOUT).json()) as CheckoutSummary)
  : undefined

const setup = (await Bun.file(setupPath).json()) as BenchSetup
const summary = (await Bun.file(summaryPath).json()) as BenchSummary
/** The stores' own ceilings on this box (scripts/bench/limits.sh), when measured in this run. */
const limits = env.BENCH_LIMITS
  ? ((await Bun.file(env.BENCH_LIMITS).json()) as StoreLimits)
  : undefined
const logger = createLogger({ level: 'warn', bindings: { service: 'bench-check' } })
const sql = connect(env.DATABASE_URL ?? 'postgres://flashdeal:flashdeal@127.0.0.1:5432/flashdeal', {
  max: 1,
  applicationName: 'bench-check',
})
const redis = createRedis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', logger)

let failures = 0
function verdict(ok: boolean, text: string) {
  if (!ok) failures += 1
  console.log(`${ok ? 'PASS' : 'FAIL'} ${text}`)
}

async function totals(dealId: string) {
  const row = await queries.dealOrderTotals(sql, { dealId })
  return {
    orders: row?.orders ?? 0,
    confirmed: row?.confirmed ?? 0,
    confirmedQuantity: row?.confirmedQuantity ?? 0,
  }
}

/** Polls Postgres until it has `accepted` order rows for the deal, or the time is up. */
async function waitForOrders(mode: Mode, dealId: string, accepted: number) {
  const started = Date.now()
  let lastReport = Number.NEGATIVE_INFINITY
  for (;;) {
    const current = await totals(dealId)
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

async function checkDeal(mode: Mode, dealId: string, accepted: number, stock = setup.stock) {
  console.log(`${mode} deal ${dealId}: ${accepted} purchases accepted by the gateway`)
  // Zero accepted would make every comparison below hold trivially.
  verdict(accepted > 0, `${mode}: the run had purchases accepted (${accepted})`)
  const redisStock = async () => {
    const value = await redis.get(dealStockKey(dealId))
    return value === null ? null : Number(value)
  }

  if (mode !== 'sync' && !pipelineRunning) {
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

  const orders = await waitForOrders(mode, dealId, accepted)
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

/** The deals of the async front-door runs, with what the gateway accepted for each. */
const asyncDeals = () =>
  (['async', 'traced', 'async-upstash', 'edge'] as const).flatMap((mode) => {
    const run = summary.runs[mode]
    return run && run.accepted > 0
      ? [{ mode, dealId: setup.deals[mode], accepted: run.accepted }]
      : []
  })

/** Before the relay starts: the whole spike waits in the outboxes, none of it in Postgres. */
async function checkBacklog() {
  for (const deal of asyncDeals()) {
    const [outbox, rows] = await Promise.all([
      redis.xlen(dealOutboxKey(deal.dealId)),
      totals(deal.dealId),
    ])
    verdict(
      outbox >= deal.accepted && rows.orders === 0,
      `${deal.mode}: backlog in place before the drain: ${outbox} outbox records for ${deal.accepted} accepted, ${rows.orders} already in Postgres`,
    )
  }
}

/**
 * Waits until Postgres holds every order the async front-door runs accepted (the relay and the
 * consumer started just before, with the whole spike waiting in the outboxes) and prints the
 * rate: orders from the Redis outbox through Kafka into Postgres per second.
 */
async function measureDrain() {
  const deals = asyncDeals()
  const backlog = deals.reduce((sum, deal) => sum + deal.accepted, 0)
  if (backlog === 0) return
  const started = Date.now()
  let first: { at: number; done: number } | undefined
  for (;;) {
    const rows = await Promise.all(deals.map(async (deal) => (await totals(deal.dealId)).orders))
    const done = rows.reduce((sum, count) => sum + count, 0)
    const now = Date.now()
    if (!first && done > 0) first = { at: now, done }
    if (first && done >= backlog && now > first.at) {
      const orders = backlog - first.done
      const seconds = (now - first.at) / 1000
      const rate = orders / seconds
      const baseline = limits?.postgresBatchInsertRowsPerSecond
      console.log(
        `drain: ${orders} orders from the outboxes through Kafka into Postgres in ${seconds.toFixed(1)} s (${Math.round(rate)} orders/s${baseline ? `, ${(rate / baseline).toFixed(2)} of Postgres's batched-insert rate, ${baseline}/s` : ''}), after ${((first.at - started) / 1000).toFixed(1)} s of start-up`,
      )
      if (env.BENCH_DRAIN_OUT)
        await Bun.write(env.BENCH_DRAIN_OUT, JSON.stringify({ from: first.at, to: now, orders }))
      return
    }
    if (now - started >= drainTimeoutMs) {
      console.log(
        `drain: ${done} / ${backlog} orders in Postgres after ${((now - started) / 1000).toFixed(0)} s`,
      )
      return
    }
    await Bun.sleep(100)
  }
}

/** The crowd sold its deal out exactly: every unit once, nobody past the stock, no other answer. */
async function checkCrowd(run: CrowdSummary) {
  const stock = setup.crowdStock ?? 0
  await checkDeal('crowd', setup.deals.crowd, run.accepted.count, stock)
  verdict(
    run.arrivals <= stock ? run.accepted.count === run.arrivals : run.accepted.count === stock,
    `crowd: ${run.accepted.count} accepted of ${run.arrivals} arrivals for ${stock} units (sold out exactly, never past it)`,
  )
  verdict(run.errors === 0, `crowd: no answer but 202 and 409 (${run.errors} others)`)
}

try {
  if (phase === '--drain') await measureDrain()
  else if (phase === '--backlog') await checkBacklog()
  else
    for (const mode of ['sync', 'async', 'traced', 'pipeline', 'async-upstash', 'edge'] as const) {
      const run = summary.runs[mode]
      if (run) await checkDeal(mode, setup.deals[mode], run.accepted)
    }
  if (!phase && crowd) await checkCrowd(crowd)
  if (!phase && checkout) {
    const provider = {
      url: env.BENCH_SANDBOX_URL ?? 'http://127.0.0.1:8086',
      apiKey: env.PAYMENT_API_KEY ?? 'sk_test_flash_deal_sandbox_0123456789',
    }
    await checkCheckout(checkout, { sql, redis, provider }, verdict, drainTimeoutMs)
  }
} finally {
  await sql.end({ timeout: 5 })
  await closeRedis(redis)
}
if (phase) process.exit(failures === 0 ? 0 : 1)

printGoals(summary, crowd, limits)
console.log(failures === 0 ? 'bench-check: PASS' : `bench-check: FAIL (${failures} failed)`)
process.exit(failures === 0 ? 0 : 1)
