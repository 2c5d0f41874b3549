// Login throughput: concurrent logins of the seeded admin through the gateway for 15 s.
// argon2id is deliberately expensive, so this measures how many logins per second the box
// affords, not the HTTP stack.
//   k6 run -e GATEWAY_URL=http://127.0.0.1:8080 -e ADMIN_EMAIL=... -e ADMIN_PASSWORD=... infra/k6/login.js
import { check } from 'k6'
import http from 'k6/http'

const gateway = __ENV.GATEWAY_URL || 'http://127.0.0.1:8080'
const body = JSON.stringify({
  email: __ENV.ADMIN_EMAIL || 'admin@flash-deal.local',
  password: __ENV.ADMIN_PASSWORD || 'change-me-admin-1',
})

export const options = {
  vus: Number(__ENV.VUS || 8),
  duration: __ENV.DURATION || '15s',
  thresholds: { checks: ['rate==1'] },
}

export default function () {
  const response = http.post(`${gateway}/v1/auth/login`, body, {
    headers: { 'content-type': 'application/json' },
  })
  check(response, { 'logged in': (r) => r.status === 200 })
}
