// Hot product reads, the same load against two product services side by side in one run:
// one with ENABLE_CACHE=true (cached(rdb)) and one with ENABLE_CACHE=false (rdb), plus the
// ceiling: a route that does no work (/health/live) on the same service, same load generator.
//   k6 run -e CACHED_URL=... -e RDB_URL=... -e PRODUCT_ID=... infra/k6/product-read.js
import { check } from 'k6'
import http from 'k6/http'
import { internalToken } from './internal-token.js'

const vus = Number(__ENV.VUS || 32)
const duration = __ENV.DURATION || '15s'
const seconds = Number.parseInt(duration, 10)

export const options = {
  discardResponseBodies: true,
  scenarios: {
    // Same load, one after the other, so they do not compete for the two cores.
    rdb: { executor: 'constant-vus', vus, duration, env: { BASE: __ENV.RDB_URL } },
    cached: {
      executor: 'constant-vus',
      vus,
      duration,
      startTime: `${seconds + 2}s`,
      env: { BASE: __ENV.CACHED_URL },
    },
    ceiling: {
      executor: 'constant-vus',
      vus,
      duration,
      startTime: `${2 * (seconds + 2)}s`,
      env: { BASE: __ENV.CACHED_URL, ROUTE: '/health/live' },
    },
  },
  // Declared so the summary carries per-scenario figures.
  thresholds: {
    'http_req_duration{scenario:rdb}': ['p(99)>=0'],
    'http_req_duration{scenario:cached}': ['p(99)>=0'],
    'http_reqs{scenario:rdb}': ['count>0'],
    'http_reqs{scenario:cached}': ['count>0'],
    'http_req_duration{scenario:ceiling}': ['p(99)>=0'],
    'http_reqs{scenario:ceiling}': ['count>0'],
    checks: ['rate==1'],
  },
  summaryTrendStats: ['med', 'p(99)'],
}

export default function () {
  // The product service takes /v1 requests from the gateway only: present its internal token.
  const response = http.get(`${__ENV.BASE}${__ENV.ROUTE || `/v1/products/${__ENV.PRODUCT_ID}`}`, {
    headers: { 'x-internal-token': internalToken('product') },
  })
  check(response, { 'answered 200': (r) => r.status === 200 })
}

export function handleSummary(data) {
  const row = (name) => {
    const duration_ = data.metrics[`http_req_duration{scenario:${name}}`].values
    const count = data.metrics[`http_reqs{scenario:${name}}`].values.count
    return { name, rps: count / seconds, p50: duration_.med, p99: duration_['p(99)'] }
  }
  const rdb = row('rdb')
  const cached = row('cached')
  const ceiling = row('ceiling')
  const line = (r) =>
    `${r.name.padEnd(8)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(7)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms`
  const ratio = cached.rps / rdb.rps
  const text = [
    '',
    `hot product read, ${vus} VUs x ${duration} each, same box`,
    line(rdb),
    line(cached),
    line(ceiling),
    `cached / rdb throughput: ${ratio.toFixed(2)}x`,
    `share of the ceiling: cached ${(cached.rps / ceiling.rps).toFixed(2)}, rdb ${(rdb.rps / ceiling.rps).toFixed(2)}`,
    '',
  ].join('\n')
  return { stdout: text, 'bench-product.json': JSON.stringify({ rdb, cached, ceiling, ratio }) }
}
