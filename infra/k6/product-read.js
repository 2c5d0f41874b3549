// Hot product reads against one product service: `make bench-product` (scripts/bench/product.sh)
// runs it once per implementation (TypeScript, Go) and strategy (ENABLE_CACHE on, off), taking
// turns, and once against a route that does no work (/health/live: the ceiling).
//   k6 run -e BASE=http://127.0.0.1:8082 -e PRODUCT_ID=... [-e ROUTE=/health/live] -e NAME=ts-cached infra/k6/product-read.js
import { check } from 'k6'
import http from 'k6/http'
import { internalToken } from './internal-token.js'

const vus = Number(__ENV.VUS || 32)
const duration = __ENV.DURATION || '15s'
const seconds = Number.parseInt(duration, 10)
const route = __ENV.ROUTE || `/v1/products/${__ENV.PRODUCT_ID}`

export const options = {
  discardResponseBodies: true,
  scenarios: { read: { executor: 'constant-vus', vus, duration } },
  thresholds: { checks: ['rate==1'] },
  summaryTrendStats: ['med', 'p(99)'],
}

export default function () {
  // The product service takes /v1 requests from the gateway only: present its internal token.
  const response = http.get(`${__ENV.BASE}${route}`, {
    headers: { 'x-internal-token': internalToken('product') },
  })
  check(response, { 'answered 200': (r) => r.status === 200 })
}

export function handleSummary(data) {
  const duration_ = data.metrics.http_req_duration.values
  const reads = data.metrics.http_reqs.values.count
  const result = {
    name: __ENV.NAME || 'read',
    reads,
    rps: reads / seconds,
    p50: duration_.med,
    p99: duration_['p(99)'],
    failed: data.metrics.checks.values.fails,
  }
  return { 'bench-product.json': JSON.stringify(result) }
}
