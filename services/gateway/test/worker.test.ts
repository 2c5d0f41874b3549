/**
 * The gateway as a Worker on the real workerd runtime (not Bun): the same behaviour at the edge.
 * Each gateway here is the bundle `src/worker.ts` builds, run by workerd, talking to real
 * upstream servers on loopback and to the real Redis through the local Upstash emulator.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createRedis } from '@flash-deal/kit/redis'
import { deadUrls, internalAuthFor, recordingLogger, testEnv } from '@flash-deal/testing'
import type { Server } from 'bun'
import { buildWorkerBundle } from '../src/edge/bundle'
import { expectForwardedWithoutHops, signupWithHopByHopHeaders } from './proxy-support'
import { dealState, publishDeal, tokens } from './purchase-support'
import {
  startUpstash,
  startWorkerdGateway,
  upstashToken,
  type WorkerdGateway,
  workerdRefusal,
} from './workerd-support'

interface Seen {
  path: string
  headers: Record<string, string>
  body: string
}

const seen: Seen[] = []
const redis = createRedis(testEnv.redisUrl, recordingLogger())
let upstream: Server<undefined>
let jwks: Server<undefined>
let upstash: Server<undefined>
let gateway: WorkerdGateway
const started: WorkerdGateway[] = []

function bindings(overrides: Record<string, string> = {}) {
  const echo = `http://127.0.0.1:${upstream.port}`
  return {
    AUTH_URL: echo,
    PRODUCT_URL: echo,
    ORDER_URL: deadUrls.http,
    JWKS_URL: `http://127.0.0.1:${jwks.port}/`,
    UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${upstash.port}`,
    UPSTASH_REDIS_REST_TOKEN: upstashToken,
    MAX_BODY_BYTES: '2048',
    UPSTREAM_TIMEOUT_MS: '300',
    PURCHASE_RATE_PER_USER: '0',
    PURCHASE_RATE_PER_ADDRESS: '0',
    ...overrides,
  }
}

async function start(overrides: Record<string, string> = {}) {
  const started_ = await startWorkerdGateway(bindings(overrides))
  started.push(started_)
  return started_
}

beforeAll(async () => {
  upstream = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const url = new URL(request.url)
      seen.push({
        path: url.pathname + url.search,
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
      })
      if (url.pathname.startsWith('/v1/products/slow')) await Bun.sleep(1000)
      return Response.json(
        { ok: true },
        { status: 201, headers: { 'keep-alive': 'timeout=5', 'x-upstream': 'yes' } },
      )
    },
  })
  jwks = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json(tokens.jwks) })
  upstash = startUpstash()
  gateway = await start()
})

afterAll(async () => {
  await Promise.all(started.map((running) => running.stop()))
  upstream.stop(true)
  jwks.stop(true)
  upstash.stop(true)
  redis.disconnect()
})

const purchase = (
  base: string,
  dealId: string,
  init: { token?: string; key?: string; body?: unknown; headers?: Record<string, string> } = {},
) =>
  fetch(`${base}/v1/deals/${dealId}/purchase`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': init.key ?? crypto.randomUUID(),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    body: JSON.stringify(init.body ?? { quantity: 1 }),
  })

test('the Worker bundle holds nothing workerd cannot run', async () => {
  const report = await buildWorkerBundle(`${import.meta.dir}/../../../.state/workerd-tests/check`)
  expect(report.problems).toEqual([])
  expect(report.modules).toBeGreaterThan(50)
})

describe('the gateway on workerd', () => {
  test('health: live, and ready once Redis answers through Upstash', async () => {
    expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200)
    const ready = await fetch(`${gateway.url}/health/ready`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { redis: 'ok' } })
  })

  test('a path no service owns is a problem+json 404 carrying the request id', async () => {
    const response = await fetch(`${gateway.url}/v1/nowhere`, {
      headers: { 'x-request-id': 'edge-42' },
    })
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(response.headers.get('x-request-id')).toBe('edge-42')
    expect(await response.json()).toMatchObject({
      type: 'urn:flash-deal:problem:not-found',
      requestId: 'edge-42',
    })
    const generated = await fetch(`${gateway.url}/v1/nowhere`)
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  test('proxies with the request id and the client address; drops hop-by-hop headers both ways', async () => {
    const response = await fetch(
      `${gateway.url}/v1/auth/signup?x=1`,
      signupWithHopByHopHeaders('edge-proxy-1'),
    )
    expect(response.status).toBe(201)
    const request = seen.at(-1) as Seen
    expect(request.path).toBe('/v1/auth/signup?x=1')
    expectForwardedWithoutHops(request, 'edge-proxy-1')
    // The peer address workerd saw (request.cf.clientIp), without its port.
    expect(request.headers['x-forwarded-for']).toBe('127.0.0.1')
    // The Worker signs the upstream call as the Bun gateway does (auth accepts it, order does not).
    await internalAuthFor('auth').verify(request.headers['x-internal-token'])
    await expect(
      internalAuthFor('order').verify(request.headers['x-internal-token']),
    ).rejects.toThrow()
    expect(response.headers.get('keep-alive')).toBeNull()
    expect(response.headers.get('x-upstream')).toBe('yes')
    expect(response.headers.get('x-request-id')).toBe('edge-proxy-1')
  })

  test('a body over the cap is 413 before the upstream sees it, with or without Content-Length', async () => {
    const before = seen.length
    const sized = await fetch(`${gateway.url}/v1/products`, {
      method: 'POST',
      body: 'x'.repeat(4096),
    })
    expect(sized.status).toBe(413)
    expect(sized.headers.get('content-type')).toBe('application/problem+json')
    const chunked = await fetch(`${gateway.url}/v1/products`, {
      method: 'POST',
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 8; i += 1)
            controller.enqueue(new TextEncoder().encode('y'.repeat(512)))
          controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(chunked.status).toBe(413)
    expect(seen.length).toBe(before)
  })

  test('a dead upstream is 502, a slow one 504, as on Bun', async () => {
    const dead = await fetch(`${gateway.url}/v1/orders`)
    expect(dead.status).toBe(502)
    expect(await dead.json()).toMatchObject({
      type: 'urn:flash-deal:problem:bad-gateway',
      upstream: 'order',
    })
    const late = await fetch(`${gateway.url}/v1/products/slow`)
    expect(late.status).toBe(504)
    expect(await late.json()).toMatchObject({
      type: 'urn:flash-deal:problem:gateway-timeout',
      upstream: 'product',
    })
  })

  test('Swagger UI at /swagger with its assets from the bundle, not a CDN', async () => {
    const ui = await fetch(`${gateway.url}/swagger`)
    expect(ui.status).toBe(200)
    const html = await ui.text()
    expect(html).not.toContain('unpkg.com')
    expect(html).not.toContain('cdn.jsdelivr')
    for (const [asset, type] of [
      ['swagger-ui.css', 'text/css'],
      ['swagger-ui-bundle.js', 'text/javascript'],
    ] as const) {
      expect(html).toContain(`/swagger/assets/${asset}`)
      const served = await fetch(`${gateway.url}/swagger/assets/${asset}`)
      expect(served.status).toBe(200)
      expect(served.headers.get('content-type')).toContain(type)
      expect((await served.text()).length).toBeGreaterThan(100_000)
    }
    const spec = await fetch(`${gateway.url}/swagger/json`)
    expect((await spec.json()).paths).toHaveProperty('/v1/deals/{id}/purchase')
  })

  test('a purchase is reserved in Redis through Upstash (202); a retry answers the same order', async () => {
    const dealId = await publishDeal(redis, { stock: 5 })
    const token = await tokens.tokenFor('customer')
    const key = crypto.randomUUID()
    const first = await purchase(gateway.url, dealId, { token, key })
    expect(first.status).toBe(202)
    const accepted = await first.json()
    expect(accepted.status).toBe('pending')
    const again = await purchase(gateway.url, dealId, { token, key })
    expect(again.status).toBe(202)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect((await again.json()).orderId).toBe(accepted.orderId)
    const state = await dealState(redis, dealId)
    expect(state.stock).toBe(4)
    expect(state.outbox).toHaveLength(1)
  })

  test('bad purchases are refused as on Bun and change nothing', async () => {
    const dealId = await publishDeal(redis, { stock: 5, perUserLimit: 2 })
    const token = await tokens.tokenFor('customer')
    const anonymous = await purchase(gateway.url, dealId)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json')
    const unknownField = await purchase(gateway.url, dealId, { token, body: { quantity: 1, x: 1 } })
    expect(unknownField.status).toBe(422)
    const overLimit = await purchase(gateway.url, dealId, { token, body: { quantity: 3 } })
    expect(overLimit.status).toBe(422)
    expect((await overLimit.json()).errors).toEqual([
      { field: 'body.quantity', message: 'must not exceed the per-user limit (2)' },
    ])
    const noSuchDeal = await purchase(gateway.url, crypto.randomUUID(), { token })
    expect(noSuchDeal.status).toBe(404)
    expect((await dealState(redis, dealId)).stock).toBe(5)
    expect((await purchase(gateway.url, dealId, { token, body: { quantity: 2 } })).status).toBe(202)
    const third = await purchase(gateway.url, dealId, { token })
    expect(third.status).toBe(409)
    expect((await third.json()).type).toBe('urn:flash-deal:problem:purchase-limit-reached')
    expect((await dealState(redis, dealId)).stock).toBe(3)
  })
})

test('the per-address limit keys on the address the runtime saw, not on a CF-Connecting-IP the client sends', async () => {
  const limited = await start({
    PURCHASE_RATE_PER_ADDRESS: '0.001',
    PURCHASE_BURST_PER_ADDRESS: '3',
  })
  const dealId = await publishDeal(redis, { stock: 100 })
  // The bucket of this machine's address, emptied by an earlier run (it refills very slowly).
  const bucket = 'ratelimit:{addr:127.0.0.1}'
  await redis.del(bucket)
  const statuses: number[] = []
  for (let i = 0; i < 5; i += 1) {
    const response = await purchase(limited.url, dealId, {
      token: await tokens.tokenFor('customer'),
      headers: { 'cf-connecting-ip': `203.0.113.${i}` },
    })
    statuses.push(response.status)
  }
  expect(statuses).toEqual([202, 202, 202, 429, 429])
  expect((await dealState(redis, dealId)).stock).toBe(97)
  expect(await redis.exists(bucket)).toBe(1)
  await redis.del(bucket) // emptied, it would refuse the next test's purchases from this address
})

test('Upstash unreachable: 503 "retry with the same Idempotency-Key", never 202, nothing reserved', async () => {
  const cut = await start({ UPSTASH_REDIS_REST_URL: deadUrls.http })
  const dealId = await publishDeal(redis, { stock: 5 })
  const response = await purchase(cut.url, dealId, { token: await tokens.tokenFor('customer') })
  expect(response.status).toBe(503)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  expect(response.headers.get('retry-after')).toBe('1')
  expect((await response.json()).detail).toContain('retry with the same Idempotency-Key')
  const ready = await fetch(`${cut.url}/health/ready`)
  expect(ready.status).toBe(503)
  expect((await dealState(redis, dealId)).stock).toBe(5)
})

test.each([
  ['REDIS_DRIVER', 'ioredis', 'only upstash can run here'],
  ['MAX_BODY_BYTES', '12', 'greater or equal to 1024'],
])('the Worker refuses to start on %s=%s, naming the variable', async (name, value, reason) => {
  const { code, output } = await workerdRefusal(bindings({ [name]: value }))
  expect(code).not.toBe(0)
  expect(output).toContain(`invalid environment variable ${name}`)
  expect(output).toContain(reason)
})

test('the bundle check refuses ioredis, Node built-ins and Bun API calls', async () => {
  const report = await buildWorkerBundle(
    `${import.meta.dir}/../../../.state/workerd-tests/refused`,
    `${import.meta.dir}/fixtures/not-for-the-edge.ts`,
  )
  const found = report.problems.join('\n')
  expect(found).toContain('ioredis cannot run in a Worker')
  expect(found).toContain("the kit's TCP clients cannot run in a Worker")
  expect(found).toContain('node:crypto, a Node built-in workerd lacks')
  expect(found).toContain("fixtures/not-for-the-edge.ts: uses Bun's API")
})
