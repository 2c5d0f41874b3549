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
 * ASYNC_PIPELINE=absent (no relay or consumer in this tree): the async orders cannot reach
 * Postgres, so the check says so and fails at once instead of waiting for nothing.
 */
import { dealOutboxKey, dealStockKey } from '@flash-deal/contracts'
import { connect, queries } from '@flash-deal/db'
import { createLogger } from '@flash-deal/kit'
import { closeRedis, createRedis } from '@flash-deal/kit/redis'

type Mode = 'sync' | 'async' | 'traced'

/** The parts of scripts/bench/purchase-setup.ts's output this check reads. */
interface BenchSetup {
  stock: number
  deals: Record<Mode, string>
}

/** The parts of infra/k6/purchase-spike.js's summary this check reads. */
interface BenchSummary {
  runs: Partial<Record<Mode, { accepted: number; errors: number }>>
  ratios: {
    asyncOverHello: number | null
    asyncOverSync: number | null
    tracedOverAsync?: number | null
  }
}

const env = process.env
const [setupPath, summaryPath] = process.argv.slice(2)
if (!setupPath || !summaryPath) {
  console.error('usage: bun services/order/src/cli/bench-check.ts <setup.json> <summary.json>')
  process.exit(64)
}
const pipelineRunning = env.ASYNC_PIPELINE !== 'absent'
const drainTimeoutMs = Number(env.BENCH_DRAIN_TIMEOUT_S ?? 60) * 1000
const goals = { asyncOverHello: 0.4, asyncOverSync: 10 }

const setup = (await Bun.file(setupPath).json()) as BenchSetup
const summary = (await Bun.file(summaryPath).json()) as BenchSummary
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

async function checkDeal(mode: Mode, dealId: string, accepted: number) {
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
      stockNow === setup.stock - accepted,
      `${mode}: Redis stock ${stockNow} == ${setup.stock} - ${accepted} accepted`,
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

try {
  for (const mode of ['sync', 'async', 'traced'] as const) {
    const run = summary.runs[mode]
    if (run) await checkDeal(mode, setup.deals[mode], run.accepted)
  }
} finally {
  await sql.end({ timeout: 5 })
  await closeRedis(redis)
}

// A ratio is null in the JSON when a run had nothing to divide by (NaN does not survive JSON).
const goal = (ratio: number | null, target: number) =>
  typeof ratio === 'number' && Number.isFinite(ratio)
    ? `${ratio.toFixed(2)}x, ${ratio >= target ? 'met' : 'not met'}`
    : 'n/a'
console.log('goals (reported, not enforced):')
console.log(
  `  async >= ${goals.asyncOverHello}x hello: ${goal(summary.ratios.asyncOverHello, goals.asyncOverHello)}`,
)
console.log(
  `  async >= ${goals.asyncOverSync}x sync:  ${goal(summary.ratios.asyncOverSync, goals.asyncOverSync)}`,
)
console.log(
  `  tracing on, collector down: ${typeof summary.ratios.tracedOverAsync === 'number' ? `${summary.ratios.tracedOverAsync.toFixed(2)}x of async without tracing` : 'n/a'}`,
)
console.log(failures === 0 ? 'bench-check: PASS' : `bench-check: FAIL (${failures} failed)`)
process.exit(failures === 0 ? 0 : 1)
