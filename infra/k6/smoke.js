// Smoke load: a short constant arrival rate against the gateway's health and a proxied route.
// Fails (non-zero exit) when any request fails or answers something unexpected.
//   k6 run -e GATEWAY_URL=http://127.0.0.1:8080 infra/k6/smoke.js
import { check } from 'k6'
import http from 'k6/http'

const gateway = __ENV.GATEWAY_URL || 'http://127.0.0.1:8080'

export const options = {
  scenarios: {
    smoke: {
      executor: 'constant-arrival-rate',
      rate: 50,
      timeUnit: '1s',
      duration: '10s',
      preAllocatedVUs: 10,
    },
  },
  thresholds: { checks: ['rate==1'], http_req_failed: ['rate==0'] },
}

export default function () {
  const live = http.get(`${gateway}/health/live`)
  check(live, { 'gateway is live': (r) => r.status === 200 })
  const ready = http.get(`${gateway}/health/ready`)
  check(ready, { 'gateway is ready': (r) => r.status === 200 })
}
