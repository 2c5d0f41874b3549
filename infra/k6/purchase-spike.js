// The purchase under a spike: runs of the same load on this box, taking turns (ROUNDS below).
//   hello     the ceiling: an Elysia route that does nothing, same box, same load generator
//   sync      Phase 1: the sync gateway hands the purchase to the order service's Postgres
//             transaction (201)
//   async     Phase 2, the front door: the async gateway reserves in Redis with one Lua call and
//             answers (202) while the outbox absorbs the spike (no relay or consumer running)
//   traced    the same with tracing on and its collector down: export must cost nothing
//   async-upstash  the async gateway on Bun with the Upstash adapter (Redis over HTTP, through
//             the local Upstash emulator) instead of ioredis (TCP)
//   edge      the same gateway as a Worker on workerd (Cloudflare's runtime), Upstash adapter,
//             same emulator: what the runtime costs beside the adapter
//   pipeline  the async gateway again while the relay, Kafka and the consumer drain into
//             Postgres on the same two cores
// scripts/bench/purchase.sh runs k6 twice: hello..traced, then (relay and consumer started, the
// backlog drained) pipeline, with PREVIOUS_SUMMARY naming the first summary so the second one
// prints and writes all the runs. Every purchase has its own Idempotency-Key and quantity 1;
// customers are taken round-robin. The deals and tokens come from
// scripts/bench/purchase-setup.ts; purchase.sh checks Postgres and Redis afterwards.
//   k6 run -e SETUP_FILE=/abs/setup.json -e HELLO_URL=... -e ASYNC_URL=... -e SYNC_URL=... \
//     -e TRACED_URL=... -e SUMMARY_FILE=/abs/bench-purchase.json infra/k6/purchase-spike.js
import http from 'k6/http'

const benchSetup = JSON.parse(open(__ENV.SETUP_FILE))
const vus = Number(__ENV.VUS || 32)
const duration = __ENV.DURATION || '15s'
const seconds = durationSeconds(duration)
// Each run is cut into ROUNDS slices, and the runs take turns slice by slice (hello, sync, async,
// traced, hello, sync, ...): on a shared, noisy box a slow minute then weighs on every run alike
// instead of on whichever ran in it, so the ratios hold still from one bench to the next.
const rounds = Math.max(1, Math.floor(Number(__ENV.ROUNDS || 3)))
const sliceMs = Math.round((seconds * 1000) / rounds)
// A slice starts this long after the previous one began: a short pause, enough for the
// iterations in flight to end (gracefulStop) so the next slice reuses the same VUs.
const slotMs = sliceMs + 1000
const purchaseBody = JSON.stringify({ quantity: 1 })
// Idempotency-Keys must be new on every run, even when the deal ids were reused.
const runId = Date.now().toString(36)

const runs = {
  hello: { base: __ENV.HELLO_URL, expect: 200 },
  sync: { base: __ENV.SYNC_URL, deal: benchSetup.deals.sync, expect: 201 },
  async: { base: __ENV.ASYNC_URL, deal: benchSetup.deals.async, expect: 202 },
  traced: { base: __ENV.TRACED_URL, deal: benchSetup.deals.traced, expect: 202 },
  pipeline: { base: __ENV.ASYNC_URL, deal: benchSetup.deals.pipeline, expect: 202 },
  'async-upstash': {
    base: __ENV.UPSTASH_URL,
    deal: benchSetup.deals['async-upstash'],
    expect: 202,
    exec: 'asyncUpstash',
  },
  edge: { base: __ENV.EDGE_URL, deal: benchSetup.deals.edge, expect: 202 },
}
// RUNS=async (or hello,async ...) runs only those, e.g. to profile one path.
const order = (__ENV.RUNS || 'hello,sync,async,traced').split(',').filter((name) => name in runs)
// The rows of an earlier invocation of this script, shown and written with this one's.
const previousSummary = __ENV.PREVIOUS_SUMMARY ? JSON.parse(open(__ENV.PREVIOUS_SUMMARY)) : {}
const previous = previousSummary.runs ?? {}
const previousSchedule = previousSummary.schedule
// Statuses the answers are broken down by in the summary (0: no answer, e.g. a timeout). k6 tags
// every request with its status, so counting costs nothing per request (no custom metric).
const statuses = [0, 200, 201, 202, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504]

// The slices, in the order they run: each run's turn in each round.
const slices = Array.from({ length: rounds }, (_, round) =>
  order.map((name, index) => ({
    key: `${name}_${round + 1}`,
    run: name,
    startMs: (round * order.length + index) * slotMs,
  })),
).flat()

export const options = {
  discardResponseBodies: true,
  scenarios: Object.fromEntries(
    slices.map((slice) => [
      slice.key,
      {
        executor: 'constant-vus',
        vus,
        duration: `${sliceMs}ms`,
        gracefulStop: '500ms',
        startTime: `${slice.startMs}ms`,
        exec: runs[slice.run].exec ?? slice.run,
        tags: { run: slice.run },
      },
    ]),
  ),
  // Declared so the summary carries per-run figures (a threshold makes k6 keep the sub-metric);
  // none of them can fail: the correctness check after the run decides.
  thresholds: Object.fromEntries(
    order.flatMap((name) => [
      [`http_req_duration{run:${name}}`, ['p(99)>=0']],
      [`http_reqs{run:${name}}`, ['count>=0']],
      ...statuses.map((status) => [`http_reqs{run:${name},status:${status}}`, ['count>=0']]),
    ]),
  ),
  summaryTrendStats: ['med', 'p(99)'],
}

// When the scenarios' clock started (setup runs just before it): the summary turns each slice's
// startTime into epoch milliseconds, so scripts/bench/cpu-report.ts can charge the servers' CPU
// (sampled from /proc) to the run whose slice it fell in.
export function setup() {
  return { startedAt: Date.now() }
}

// The load generator shares the box with what it measures, so an iteration does as little as
// it can: no per-iteration lookups of the scenario, no custom metrics.
const helloUrl = `${runs.hello.base}/hello`
export function hello() {
  http.get(helloUrl)
}

// One function per purchase run; a VU counts its own iterations (keys: run, VU, count).
function purchaseRun(name) {
  const run = runs[name]
  if (!run.base) return () => {}
  const url = `${run.base}/v1/deals/${run.deal}/purchase`
  const authorizations = benchSetup.tokens.map((token) => `Bearer ${token}`)
  const keyPrefix = `bench-${runId}-${name}-`
  let iteration = 0
  return () => {
    iteration++
    http.post(url, purchaseBody, {
      headers: {
        authorization: authorizations[(__VU + iteration) % authorizations.length],
        'content-type': 'application/json',
        'idempotency-key': `${keyPrefix}${__VU}-${iteration}`,
      },
    })
  }
}
export const sync = purchaseRun('sync')
export const async = purchaseRun('async')
export const traced = purchaseRun('traced')
export const pipeline = purchaseRun('pipeline')
export const asyncUpstash = purchaseRun('async-upstash')
export const edge = purchaseRun('edge')

export function handleSummary(data) {
  const value = (metric, stat) => data.metrics[metric]?.values?.[stat] ?? 0
  const row = (name) => {
    const requests = value(`http_reqs{run:${name}}`, 'count')
    // For the purchases the figure that matters is accepted purchases, not answers.
    const done = value(`http_reqs{run:${name},status:${runs[name].expect}}`, 'count')
    const errors = requests - done
    const byStatus = Object.fromEntries(
      statuses
        .filter((status) => status !== runs[name].expect)
        .map((status) => [status, value(`http_reqs{run:${name},status:${status}}`, 'count')])
        .filter(([, count]) => count > 0),
    )
    return {
      name,
      requests,
      errorsByStatus: byStatus,
      accepted: done,
      perSecond: done / seconds,
      p50: value(`http_req_duration{run:${name}}`, 'med'),
      p99: value(`http_req_duration{run:${name}}`, 'p(99)'),
      errors,
    }
  }
  const rows = { ...previous, ...Object.fromEntries(order.map((name) => [name, row(name)])) }
  const shownRuns = Object.keys(runs).filter((name) => name in rows)
  // null when a run is missing or had nothing to divide by (NaN does not survive JSON).
  const ratio = (a, b) => {
    const value = rows[a] && rows[b] ? rows[a].perSecond / rows[b].perSecond : Number.NaN
    return Number.isFinite(value) ? value : null
  }
  const ratios = {
    asyncOverHello: ratio('async', 'hello'),
    asyncOverSync: ratio('async', 'sync'),
    tracedOverAsync: ratio('traced', 'async'),
    pipelineOverHello: ratio('pipeline', 'hello'),
    pipelineOverSync: ratio('pipeline', 'sync'),
    upstashOverAsync: ratio('async-upstash', 'async'),
    edgeOverAsync: ratio('edge', 'async'),
    edgeOverUpstash: ratio('edge', 'async-upstash'),
  }
  const shown = (value) => (value === null ? 'n/a' : `${value.toFixed(2)}x`)
  const line = (r) =>
    [
      r.name.padEnd(13),
      r.perSecond.toFixed(0).padStart(9),
      r.p50.toFixed(2).padStart(9),
      r.p99.toFixed(2).padStart(9),
      String(r.errors).padStart(7),
    ].join(' ')
  const text = [
    '',
    `purchase spike, ${vus} VUs x ${duration} per run${rounds > 1 ? `, the runs taking turns in ${rounds} slices` : ''}, same box`,
    'run               per s   p50 ms    p99 ms  errors   (per s: answers for hello, accepted purchases otherwise)',
    ...shownRuns.map((name) => line(rows[name])),
    `async / hello: ${shown(ratios.asyncOverHello)}   async / sync: ${shown(ratios.asyncOverSync)}   traced (collector down) / async: ${shown(ratios.tracedOverAsync)}`,
    `pipeline (drain on the same cores) / hello: ${shown(ratios.pipelineOverHello)}   pipeline / sync: ${shown(ratios.pipelineOverSync)}`,
    `async-upstash / async: ${shown(ratios.upstashOverAsync)}   edge (workerd) / async: ${shown(ratios.edgeOverAsync)}   edge / async-upstash: ${shown(ratios.edgeOverUpstash)}`,
    ...shownRuns
      .filter((name) => rows[name].errors > 0)
      .map((name) => {
        const listed = Object.entries(rows[name].errorsByStatus)
        const counted = listed.reduce((sum, [, count]) => sum + count, 0)
        const parts = listed.map(([status, count]) => `${status} x${count}`)
        if (counted < rows[name].errors) parts.push(`other x${rows[name].errors - counted}`)
        return `${name} errors by status: ${parts.join(', ')}`
      }),
    '',
  ].join('\n')
  // Each slice of each run as epoch milliseconds (the earlier invocation's slices kept).
  const startedAt = data.setup_data?.startedAt ?? 0
  const schedule = [
    ...(previousSchedule ?? []),
    ...slices.map((slice) => {
      const from = startedAt + slice.startMs
      return { run: slice.run, from, to: from + sliceMs }
    }),
  ]
  const summary = {
    vus,
    duration,
    seconds,
    // The front-door runs' rounds (the pipeline invocation runs one slice of its own).
    rounds: previousSummary.rounds ?? rounds,
    deals: benchSetup.deals,
    stock: benchSetup.stock,
    runs: rows,
    ratios,
    schedule,
  }
  return {
    stdout: text,
    [__ENV.SUMMARY_FILE || 'bench-purchase.json']: JSON.stringify(summary, null, 2),
  }
}

// k6 durations as this script accepts them: "15s", "2m", "1m30s".
function durationSeconds(text) {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(text)
  if (!match || (!match[1] && !match[2]))
    throw new Error(`DURATION must look like 15s, 2m or 1m30s, not ${text}`)
  return Number(match[1] || 0) * 60 + Number(match[2] || 0)
}
