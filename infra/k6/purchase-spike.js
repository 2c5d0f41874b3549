// The purchase under a spike, three runs of the same load one after the other in one k6 run:
//   hello  the ceiling: an Elysia route that does nothing, same box, same load generator
//   sync   Phase 1: the sync gateway hands the purchase to the order service's Postgres
//          transaction (201)
//   async  Phase 2: the async gateway reserves in Redis with one Lua call and answers (202);
//          last, so the relay and consumer drain its backlog after the run, not during `sync`
// Every purchase has its own Idempotency-Key and quantity 1; customers are taken round-robin.
// The deals and tokens come from scripts/bench/purchase-setup.ts; scripts/bench/purchase.sh
// wires it all and checks Postgres and Redis afterwards.
//   k6 run -e SETUP_FILE=/abs/setup.json -e HELLO_URL=... -e ASYNC_URL=... -e SYNC_URL=... \
//     -e SUMMARY_FILE=/abs/bench-purchase.json infra/k6/purchase-spike.js
import exec from 'k6/execution'
import http from 'k6/http'
import { Counter } from 'k6/metrics'

const setup = JSON.parse(open(__ENV.SETUP_FILE))
const vus = Number(__ENV.VUS || 32)
const duration = __ENV.DURATION || '15s'
const seconds = durationSeconds(duration)
// Each run starts this long after the previous one began, leaving a short pause between them.
const slot = seconds + 2
const purchaseBody = JSON.stringify({ quantity: 1 })
// Idempotency-Keys must be new on every run, even when the deal ids were reused.
const runId = Date.now().toString(36)

const accepted = new Counter('purchases_accepted')
const unexpected = new Counter('unexpected_status')

const runs = {
  hello: { base: __ENV.HELLO_URL, expect: 200 },
  sync: { base: __ENV.SYNC_URL, deal: setup.deals.sync, expect: 201 },
  async: { base: __ENV.ASYNC_URL, deal: setup.deals.async, expect: 202 },
  // The async gateway again with tracing on and its collector down: export must cost nothing.
  traced: { base: __ENV.TRACED_URL, deal: setup.deals.traced, expect: 202 },
}
// RUNS=async (or hello,async ...) runs only those, e.g. to profile one path.
const order = (__ENV.RUNS || 'hello,sync,async,traced').split(',').filter((name) => name in runs)
// Statuses an error is broken down by in the summary (0: no answer, e.g. a timeout).
const errorStatuses = [0, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504]

export const options = {
  discardResponseBodies: true,
  scenarios: Object.fromEntries(
    order.map((name, index) => [
      name,
      {
        executor: 'constant-vus',
        vus,
        duration,
        startTime: `${index * slot}s`,
        exec: name === 'hello' ? 'hello' : 'purchase',
      },
    ]),
  ),
  // Declared so the summary carries per-scenario figures (a threshold makes k6 keep the
  // sub-metric); none of them can fail: the correctness check after the run decides.
  thresholds: Object.fromEntries(
    order.flatMap((name) => [
      [`http_req_duration{scenario:${name}}`, ['p(99)>=0']],
      [`http_reqs{scenario:${name}}`, ['count>=0']],
      [`purchases_accepted{scenario:${name}}`, ['count>=0']],
      [`unexpected_status{scenario:${name}}`, ['count>=0']],
      ...errorStatuses.map((status) => [
        `unexpected_status{scenario:${name},status:${status}}`,
        ['count>=0'],
      ]),
    ]),
  ),
  summaryTrendStats: ['med', 'p(99)'],
}

export function hello() {
  const response = http.get(`${runs.hello.base}/hello`)
  if (response.status !== 200) unexpected.add(1, { status: String(response.status) })
}

export function purchase() {
  const name = exec.scenario.name
  const run = runs[name]
  const iteration = exec.scenario.iterationInTest
  const response = http.post(`${run.base}/v1/deals/${run.deal}/purchase`, purchaseBody, {
    headers: {
      authorization: `Bearer ${setup.tokens[iteration % setup.tokens.length]}`,
      'content-type': 'application/json',
      'idempotency-key': `bench-${runId}-${name}-${iteration}`,
    },
    tags: { name: 'purchase' },
  })
  if (response.status === run.expect) accepted.add(1)
  else unexpected.add(1, { status: String(response.status) })
}

export function handleSummary(data) {
  const value = (metric, stat) => data.metrics[metric]?.values?.[stat] ?? 0
  const row = (name) => {
    const requests = value(`http_reqs{scenario:${name}}`, 'count')
    const errors = value(`unexpected_status{scenario:${name}}`, 'count')
    // For the purchases the figure that matters is accepted purchases, not answers.
    const done =
      name === 'hello' ? requests - errors : value(`purchases_accepted{scenario:${name}}`, 'count')
    const byStatus = Object.fromEntries(
      errorStatuses
        .map((status) => [
          status,
          value(`unexpected_status{scenario:${name},status:${status}}`, 'count'),
        ])
        .filter(([, count]) => count > 0),
    )
    return {
      name,
      requests,
      errorsByStatus: byStatus,
      accepted: done,
      perSecond: done / seconds,
      p50: value(`http_req_duration{scenario:${name}}`, 'med'),
      p99: value(`http_req_duration{scenario:${name}}`, 'p(99)'),
      errors,
    }
  }
  const rows = Object.fromEntries(order.map((name) => [name, row(name)]))
  // null when a run is missing or had nothing to divide by (NaN does not survive JSON).
  const ratio = (a, b) => {
    const value = rows[a] && rows[b] ? rows[a].perSecond / rows[b].perSecond : Number.NaN
    return Number.isFinite(value) ? value : null
  }
  const ratios = {
    asyncOverHello: ratio('async', 'hello'),
    asyncOverSync: ratio('async', 'sync'),
    tracedOverAsync: ratio('traced', 'async'),
  }
  const shown = (value) => (value === null ? 'n/a' : `${value.toFixed(2)}x`)
  const line = (r) =>
    [
      r.name.padEnd(6),
      r.perSecond.toFixed(0).padStart(9),
      r.p50.toFixed(2).padStart(9),
      r.p99.toFixed(2).padStart(9),
      String(r.errors).padStart(7),
    ].join(' ')
  const text = [
    '',
    `purchase spike, ${vus} VUs x ${duration} per run, one after the other, same box`,
    'run        per s   p50 ms    p99 ms  errors   (per s: answers for hello, accepted purchases otherwise)',
    ...order.map((name) => line(rows[name])),
    `async / hello: ${shown(ratios.asyncOverHello)}   async / sync: ${shown(ratios.asyncOverSync)}   traced (collector down) / async: ${shown(ratios.tracedOverAsync)}`,
    ...order
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
  const summary = {
    vus,
    duration,
    seconds,
    deals: setup.deals,
    stock: setup.stock,
    runs: rows,
    ratios,
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
