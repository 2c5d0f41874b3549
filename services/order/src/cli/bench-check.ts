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
import { connect } from '@flash-deal/db'
import { createLogger } from '@flash-deal/kit'
import { closeRedis, createRedis } from '@flash-deal/kit/redis'
import { type CheckoutSummary, checkCheckout } from './bench-checkout'
import { type BenchContext, checkDeal } from './bench-deal'
import { asyncDeals, checkBacklog, measureDrain } from './bench-drain'
import {
  type BenchSetup,
  type BenchSummary,
  type CrowdSummary,
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
const context: BenchContext = { sql, redis, verdict, drainTimeoutMs, pipelineRunning }

/** The crowd sold its deal out exactly: every unit once, nobody past the stock, no other answer. */
async function checkCrowd(run: CrowdSummary) {
  const stock = setup.crowdStock ?? 0
  await checkDeal(context, 'crowd', {
    dealId: setup.deals.crowd,
    accepted: run.accepted.count,
    stock,
  })
  verdict(
    run.arrivals <= stock ? run.accepted.count === run.arrivals : run.accepted.count === stock,
    `crowd: ${run.accepted.count} accepted of ${run.arrivals} arrivals for ${stock} units (sold out exactly, never past it)`,
  )
  verdict(run.errors === 0, `crowd: no answer but 202 and 409 (${run.errors} others)`)
}

try {
  if (phase === '--drain')
    await measureDrain(context, asyncDeals(setup, summary), {
      limits,
      outPath: env.BENCH_DRAIN_OUT,
    })
  else if (phase === '--backlog') await checkBacklog(context, asyncDeals(setup, summary))
  else
    for (const mode of ['sync', 'async', 'traced', 'pipeline', 'async-upstash', 'edge'] as const) {
      const run = summary.runs[mode]
      if (run)
        await checkDeal(context, mode, {
          dealId: setup.deals[mode],
          accepted: run.accepted,
          stock: setup.stock,
        })
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
