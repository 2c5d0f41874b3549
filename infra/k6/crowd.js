// The crowd: CROWD arrivals (default 2,000, one VU each) within a few seconds on one hot deal of
// CROWD_STOCK units, more buyers than units, as a flash sale opens. Arrivals ramp to their peak
// rate in RAMP seconds and hold it until every one has arrived (k6 ramping-arrival-rate); each
// is one purchase with its own Idempotency-Key. The answers that are meant are 202 (accepted)
// and 409 (sold out); the summary gives p50/p99 of each, and counts anything else as an error.
//   k6 run -e SETUP_FILE=/abs/setup.json -e ASYNC_URL=... -e SUMMARY_FILE=/abs/crowd.json \
//     infra/k6/crowd.js
import http from 'k6/http'

const benchSetup = JSON.parse(open(__ENV.SETUP_FILE))
const arrivals = Number(__ENV.CROWD || 2000)
const rampSeconds = Number(__ENV.RAMP || 2)
// The peak rate that lets every arrival in within about rampSeconds + 1 s.
const peak = Math.ceil(arrivals / (rampSeconds / 2 + 1))
const url = `${__ENV.ASYNC_URL}/v1/deals/${benchSetup.deals.crowd}/purchase`
const body = JSON.stringify({ quantity: 1 })
const authorizations = benchSetup.tokens.map((token) => `Bearer ${token}`)
const runId = Date.now().toString(36)

export const options = {
  discardResponseBodies: true,
  scenarios: {
    crowd: {
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      preAllocatedVUs: arrivals,
      maxVUs: arrivals,
      stages: [
        { target: peak, duration: `${rampSeconds}s` },
        { target: peak, duration: '1s' },
      ],
      gracefulStop: '10s',
    },
  },
  thresholds: {
    // Declared so the summary keeps the per-status figures; none can fail: the check decides.
    'http_req_duration{status:202}': ['p(99)>=0'],
    'http_req_duration{status:409}': ['p(99)>=0'],
    'http_reqs{status:202}': ['count>=0'],
    'http_reqs{status:409}': ['count>=0'],
  },
  summaryTrendStats: ['med', 'p(99)'],
}

export default function () {
  // One arrival, one buyer's attempt; the customers' tokens are shared round-robin, and their
  // per-user limit is the whole stock, so only the stock refuses.
  http.post(url, body, {
    headers: {
      authorization: authorizations[__ITER % authorizations.length],
      'content-type': 'application/json',
      'idempotency-key': `crowd-${runId}-${__VU}-${__ITER}`,
    },
  })
}

export function handleSummary(data) {
  const value = (metric, stat) => data.metrics[metric]?.values?.[stat] ?? 0
  const requests = value('http_reqs', 'count')
  const accepted = value('http_reqs{status:202}', 'count')
  const soldOut = value('http_reqs{status:409}', 'count')
  const summary = {
    arrivals: requests,
    seconds: rampSeconds + 1,
    peakPerSecond: peak,
    accepted: {
      count: accepted,
      p50: value('http_req_duration{status:202}', 'med'),
      p99: value('http_req_duration{status:202}', 'p(99)'),
    },
    soldOut: {
      count: soldOut,
      p50: value('http_req_duration{status:409}', 'med'),
      p99: value('http_req_duration{status:409}', 'p(99)'),
    },
    // Anything but the two meant answers: 5xx, timeouts (status 0), 4xx other than 409.
    errors: requests - accepted - soldOut,
  }
  const ms = (figure) => `p50 ${figure.p50.toFixed(1)} ms, p99 ${figure.p99.toFixed(1)} ms`
  const text = [
    '',
    `crowd: ${requests} arrivals within ${rampSeconds + 1} s (peak ${peak}/s) on one deal of ${benchSetup.crowdStock} units`,
    `crowd accepted (202): ${accepted}, ${ms(summary.accepted)}`,
    `crowd sold out (409): ${soldOut}, ${ms(summary.soldOut)}`,
    `crowd errors (anything else): ${summary.errors}`,
    '',
  ].join('\n')
  return {
    stdout: text,
    [__ENV.SUMMARY_FILE || 'crowd.json']: JSON.stringify(summary, null, 2),
  }
}
