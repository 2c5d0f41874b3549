/** The gateway's routing against real upstream HTTP servers on loopback. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SpanKind, SpanStatusCode, type Telemetry } from '@flash-deal/kit'
import {
  deadUrls,
  internalAuthFor,
  internalTokens,
  recordingLogger,
  recordingTelemetry,
  silentServer,
  testEnv,
  testTokens,
} from '@flash-deal/testing'
import type { Server } from 'bun'
import { createApp } from '../src/app'
import { purchasePath } from '../src/purchase'
import { AuthRateLimiter } from '../src/purchase/rate-limit'
import { IoredisPort } from '../src/redis/ioredis'
import { expectForwardedWithoutHops, signupWithHopByHopHeaders } from './proxy-support'

const { verifier, tokenFor } = await testTokens()
const accessToken = (audience = 'flash-deal') => tokenFor('customer', { audience })

interface Seen {
  method: string
  path: string
  headers: Record<string, string>
  body: string
}

let upstream: Server<undefined>
let silent: ReturnType<typeof silentServer>
const seen: Seen[] = []

beforeAll(() => {
  upstream = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const url = new URL(request.url)
      seen.push({
        method: request.method,
        path: url.pathname + url.search,
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
      })
      return new Response(JSON.stringify({ ok: true, path: url.pathname }), {
        status: url.pathname.endsWith('/missing')
          ? 404
          : url.pathname.endsWith('/broken')
            ? 503
            : 201,
        headers: {
          'content-type': 'application/json',
          'keep-alive': 'timeout=5',
          'x-upstream': 'yes',
        },
      })
    },
  })
  silent = silentServer()
})

const redisPort = new IoredisPort({ url: testEnv.redisUrl, logger: recordingLogger() })

afterAll(async () => {
  await redisPort.close()
  upstream.stop(true)
  silent.stop()
})

async function gateway(
  overrides: Partial<Record<'auth' | 'product' | 'order', string>> = {},
  timeoutMs = 2000,
  mode: 'async' | 'sync' = 'async',
  telemetry?: Telemetry,
  authRateLimiter?: AuthRateLimiter,
) {
  const base = `http://127.0.0.1:${upstream.port}`
  const upstreamOf = (name: 'auth' | 'product' | 'order') => ({
    name,
    baseUrl: overrides[name] ?? base,
    timeoutMs,
  })
  return createApp({
    logger: recordingLogger(),
    maxBodyBytes: 1024,
    redisReady: async () => 'PONG',
    verifier,
    internalTokens,
    authRateLimiter,
    telemetry,
    upstreams: {
      auth: upstreamOf('auth'),
      product: upstreamOf('product'),
      order: upstreamOf('order'),
    },
    purchase: purchasePath({
      redis: redisPort,
      logger: recordingLogger(),
      mode,
      limits: { user: { perSecond: 0, burst: 1 }, address: { perSecond: 0, burst: 1 } },
    }),
  })
}

describe('gateway routing', () => {
  test.each([
    '/v1/auth/login',
    '/v1/products',
    '/v1/products/42?fields=name',
    '/v1/deals',
    '/v1/orders/7',
  ])('forwards %s to its owner with path and query intact', async (path) => {
    const response = await (await gateway()).handle(new Request(`http://localhost${path}`))
    expect(response.status).toBe(201)
    expect(seen.at(-1)?.path).toBe(path)
    expect(response.headers.get('x-upstream')).toBe('yes')
  })

  test('passes the body, the request id and forwarding headers; drops hop-by-hop headers both ways', async () => {
    const response = await (await gateway()).handle(
      new Request('http://localhost/v1/auth/signup', signupWithHopByHopHeaders('req-42')),
    )
    expect(response.status).toBe(201)
    const request = seen.at(-1) as Seen
    expect(request.method).toBe('POST')
    expectForwardedWithoutHops(request, 'req-42')
    expect(request.headers['x-forwarded-proto']).toBe('http')
    expect(response.headers.get('keep-alive')).toBeNull()
    expect(response.headers.get('x-request-id')).toBe('req-42')
  })

  test.each([
    ['/v1/auth/me', 'auth'],
    ['/v1/products', 'product'],
    ['/v1/deals/7', 'product'],
    ['/v1/orders', 'order'],
  ] as const)(
    '%s carries an internal token for %s only, replacing one the client sent',
    async (path, owner) => {
      const response = await (await gateway()).handle(
        new Request(`http://localhost${path}`, { headers: { 'x-internal-token': 'forged' } }),
      )
      expect(response.status).toBe(201)
      const token = seen.at(-1)?.headers['x-internal-token']
      expect(token).not.toBe('forged')
      await expect(internalAuthFor(owner).verify(token)).resolves.toBeUndefined()
      for (const other of (['auth', 'product', 'order'] as const).filter(
        (name) => name !== owner,
      )) {
        await expect(internalAuthFor(other).verify(token)).rejects.toMatchObject({ status: 401 })
      }
    },
  )

  test("relays the upstream's status", async () => {
    const response = await (await gateway()).handle(
      new Request('http://localhost/v1/orders/missing'),
    )
    expect(response.status).toBe(404)
  })

  test('a body over the cap is refused with 413 before reaching the upstream', async () => {
    const before = seen.length
    const big = 'x'.repeat(4096)
    const response = await (await gateway()).handle(
      new Request('http://localhost/v1/products', {
        method: 'POST',
        body: big,
        headers: { 'content-length': '4096' },
      }),
    )
    expect(response.status).toBe(413)
    expect(seen.length).toBe(before)
  })

  test('a chunked body over the cap is refused with 413 too', async () => {
    const before = seen.length
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 8; i += 1) controller.enqueue(new TextEncoder().encode('y'.repeat(512)))
        controller.close()
      },
    })
    const response = await (await gateway()).handle(
      new Request('http://localhost/v1/products', {
        method: 'POST',
        body: stream,
        duplex: 'half',
      } as RequestInit),
    )
    expect(response.status).toBe(413)
    expect(seen.length).toBe(before)
  })

  test('an upstream that is down is a 502 problem naming it', async () => {
    const response = await (await gateway({ order: deadUrls.http })).handle(
      new Request('http://localhost/v1/orders'),
    )
    expect(response.status).toBe(502)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(await response.json()).toMatchObject({
      type: 'urn:flash-deal:problem:bad-gateway',
      upstream: 'order',
    })
  })

  test('an upstream slower than its timeout is a 504 problem', async () => {
    const app = await gateway({ product: `http://127.0.0.1:${silent.port}` }, 100)
    const response = await app.handle(new Request('http://localhost/v1/products'))
    expect(response.status).toBe(504)
    expect(await response.json()).toMatchObject({
      type: 'urn:flash-deal:problem:gateway-timeout',
      upstream: 'product',
    })
  })

  test('a bad bearer token is refused at the door, before the upstream sees it', async () => {
    const before = seen.length
    const forged = await (await gateway()).handle(
      new Request('http://localhost/v1/orders', {
        headers: { authorization: `Bearer ${await accessToken('other-audience')}` },
      }),
    )
    expect(forged.status).toBe(401)
    expect(forged.headers.get('content-type')).toBe('application/problem+json')
    const garbage = await (await gateway()).handle(
      new Request('http://localhost/v1/deals', { headers: { authorization: 'Bearer x.y.z' } }),
    )
    expect(garbage.status).toBe(401)
    expect(seen.length).toBe(before)
  })

  test('a valid bearer token is passed on to the owner unchanged', async () => {
    const token = await accessToken()
    const response = await (await gateway()).handle(
      new Request('http://localhost/v1/orders', { headers: { authorization: `Bearer ${token}` } }),
    )
    expect(response.status).toBe(201)
    expect(seen.at(-1)?.headers.authorization).toBe(`Bearer ${token}`)
  })

  test('auth routes are not verified by the gateway: the auth service answers for its own tokens', async () => {
    const response = await (await gateway()).handle(
      new Request('http://localhost/v1/auth/me', { headers: { authorization: 'Bearer x.y.z' } }),
    )
    expect(response.status).toBe(201)
    expect(seen.at(-1)?.path).toBe('/v1/auth/me')
  })

  test('paths no service owns are the gateway 404', async () => {
    const before = seen.length
    const response = await (await gateway()).handle(new Request('http://localhost/v1/authx'))
    expect(response.status).toBe(404)
    expect(seen.length).toBe(before)
  })
})

test('over a real socket the proxied answer carries the request id exactly once', async () => {
  const app = (await gateway()).listen({ port: 0, hostname: '127.0.0.1' })
  try {
    const response = await fetch(`http://127.0.0.1:${app.server?.port}/v1/orders/missing`, {
      headers: { 'x-request-id': 'once-only' },
    })
    expect(response.status).toBe(404)
    expect(response.headers.get('x-request-id')).toBe('once-only')
  } finally {
    await app.stop(true)
  }
})

test('sync mode: the purchase is handed to the order service with its key, body and request id', async () => {
  const app = await gateway({}, 2000, 'sync')
  const { tokenFor } = { tokenFor: accessToken }
  const before = seen.length
  const response = await app.handle(
    new Request('http://localhost/v1/deals/0193a6f2-3b4c-7d5e-8f90-123456789abc/purchase', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await tokenFor()}`,
        'idempotency-key': 'sync-1',
        'content-type': 'application/json',
        'x-request-id': 'sync-purchase',
      },
      body: '{}',
    }),
  )
  expect(response.status).toBe(201)
  const forwarded = seen[before]
  expect(forwarded?.path).toBe('/v1/deals/0193a6f2-3b4c-7d5e-8f90-123456789abc/purchase')
  expect(forwarded?.method).toBe('POST')
  expect(JSON.parse(forwarded?.body ?? '{}')).toEqual({ quantity: 1 })
  expect(forwarded?.headers['idempotency-key']).toBe('sync-1')
  expect(forwarded?.headers['x-request-id']).toBe('sync-purchase')
  await internalAuthFor('order').verify(forwarded?.headers['x-internal-token'])
})

test('sign-ups and logins are rate limited per socket address, whatever X-Forwarded-For says', async () => {
  const limiter = new AuthRateLimiter({ redis: redisPort, limit: { perSecond: 0.01, burst: 2 } })
  // A bucket of its own: the limiter keys by address, and this test's address is loopback.
  await redisPort.client.del('ratelimit:{auth-addr:127.0.0.1}')
  const app = (await gateway({}, 2000, 'async', undefined, limiter)).listen({
    port: 0,
    hostname: '127.0.0.1',
  })
  try {
    const post = (path: string, spoofed: string) =>
      fetch(`http://127.0.0.1:${app.server?.port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': spoofed },
        body: '{}',
      })
    const before = seen.length
    expect((await post('/v1/auth/login', '203.0.113.1')).status).toBe(201)
    expect((await post('/v1/auth/signup', '203.0.113.2')).status).toBe(201)
    const limited = await post('/v1/auth/login', '203.0.113.3')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('content-type')).toBe('application/problem+json')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    // Refused at the door: auth never saw the third one.
    expect(seen.length - before).toBe(2)
    // Other auth routes (no argon2 behind them) are not counted.
    expect((await post('/v1/auth/refresh', '203.0.113.4')).status).toBe(201)
  } finally {
    await app.stop(true)
    await redisPort.client.del('ratelimit:{auth-addr:127.0.0.1}')
  }
})

describe('proxy hops are HTTP client spans', () => {
  const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736'
  const callerParent = `00-${callerTrace}-00f067aa0ba902b7-01`

  test('the hop is a client span under the server span, and the upstream continues from it', async () => {
    const { telemetry, spans } = recordingTelemetry('gateway')
    const app = await gateway({}, 2000, 'async', telemetry)
    const response = await app.handle(
      new Request('http://localhost/v1/products/42?fields=name', {
        headers: { traceparent: callerParent },
      }),
    )
    expect(response.status).toBe(201)

    const finished = await spans()
    const server = finished.find((span) => span.kind === SpanKind.SERVER)
    const client = finished.find((span) => span.kind === SpanKind.CLIENT)
    expect(server?.spanContext().traceId).toBe(callerTrace)
    expect(client?.name).toBe('GET')
    expect(client?.spanContext().traceId).toBe(callerTrace)
    expect(client?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
    expect(client?.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': upstream.port,
      'url.full': `http://127.0.0.1:${upstream.port}/v1/products/42?fields=name`,
      'http.response.status_code': 201,
    })
    expect(client?.status.code).toBe(SpanStatusCode.UNSET)
    expect(seen.at(-1)?.headers.traceparent).toBe(
      `00-${callerTrace}-${client?.spanContext().spanId}-01`,
    )
  })

  test('a 4xx answer leaves the hop unset; a 5xx fails it', async () => {
    const { telemetry, spans } = recordingTelemetry('gateway')
    const app = await gateway({}, 2000, 'async', telemetry)
    expect((await app.handle(new Request('http://localhost/v1/orders/missing'))).status).toBe(404)
    expect((await app.handle(new Request('http://localhost/v1/orders/broken'))).status).toBe(503)

    const clients = (await spans()).filter((span) => span.kind === SpanKind.CLIENT)
    const byStatus = (status: number) =>
      clients.find((span) => span.attributes['http.response.status_code'] === status)
    expect(byStatus(404)?.status.code).toBe(SpanStatusCode.UNSET)
    expect(byStatus(503)?.status.code).toBe(SpanStatusCode.ERROR)
    expect(byStatus(503)?.attributes['error.type']).toBe('503')
  })

  test('an unreachable upstream and a timeout fail the hop', async () => {
    const { telemetry, spans } = recordingTelemetry('gateway')
    const dead = await gateway({ order: deadUrls.http }, 2000, 'async', telemetry)
    expect((await dead.handle(new Request('http://localhost/v1/orders'))).status).toBe(502)
    const late = await gateway(
      { product: `http://127.0.0.1:${silent.port}` },
      100,
      'async',
      telemetry,
    )
    expect((await late.handle(new Request('http://localhost/v1/products'))).status).toBe(504)

    const clients = (await spans()).filter((span) => span.kind === SpanKind.CLIENT)
    expect(clients.map((span) => [span.attributes['server.port'], span.status.code])).toEqual([
      [1, SpanStatusCode.ERROR],
      [silent.port, SpanStatusCode.ERROR],
    ])
    expect(clients.map((span) => span.attributes['error.type'])).toEqual([
      'BadGatewayError',
      'GatewayTimeoutError',
    ])
    expect(
      clients.every((span) => span.attributes['http.response.status_code'] === undefined),
    ).toBe(true)
  })

  test('sync mode: the purchase handed to the order service is a client span under the purchase span', async () => {
    const { telemetry, spans } = recordingTelemetry('gateway')
    const app = await gateway({}, 2000, 'sync', telemetry)
    const response = await app.handle(
      new Request('http://localhost/v1/deals/0193a6f2-3b4c-7d5e-8f90-123456789abc/purchase', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await accessToken()}`,
          'idempotency-key': 'sync-traced',
          'content-type': 'application/json',
          traceparent: callerParent,
        },
        body: '{}',
      }),
    )
    expect(response.status).toBe(201)

    const finished = await spans()
    const server = finished.find((span) => span.name === 'POST /v1/deals/:id/purchase')
    const client = finished.find((span) => span.kind === SpanKind.CLIENT)
    expect(client?.name).toBe('POST')
    expect(client?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
    expect(seen.at(-1)?.headers.traceparent).toBe(
      `00-${callerTrace}-${client?.spanContext().spanId}-01`,
    )
  })

  test("tracing off: the caller's traceparent reaches the upstream unchanged", async () => {
    const response = await (await gateway()).handle(
      new Request('http://localhost/v1/products/42', { headers: { traceparent: callerParent } }),
    )
    expect(response.status).toBe(201)
    expect(seen.at(-1)?.headers.traceparent).toBe(callerParent)
  })
})
