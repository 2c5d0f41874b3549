/**
 * The async purchase against the real Redis, through both adapters of the Redis port: ioredis
 * over TCP and @upstash/redis over HTTP (the Upstash REST protocol served over the same Redis by
 * @humanwhocodes/upstash-redis-server). Every assertion reads Redis back: stock, buyers, the
 * idempotency record and the outbox stream.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import {
  dealKeys,
  dealPurchaseStateKeys,
  outboxEntryFields,
  parsePendingOrder,
} from '@flash-deal/contracts'
import { createRedis } from '@flash-deal/kit/redis'
import {
  deadRedisUrl,
  recordingLogger,
  recordingMetrics,
  recordingTelemetry,
  testEnv,
} from '@flash-deal/testing'
import { createApp as createUpstashServer } from '@humanwhocodes/upstash-redis-server'
import { IoredisPort } from '../src/redis/ioredis'
import type { RedisPort } from '../src/redis/port'
import { UpstashPort } from '../src/redis/upstash'
import { dealState, gatewayOn, publishDeal, purchaseRequest, tokens } from './purchase-support'

const redis = createRedis(testEnv.redisUrl, recordingLogger())
const upstashToken = 'test-token'
const upstashServer = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: createUpstashServer({ token: upstashToken, redisUrl: testEnv.redisUrl }).fetch,
})
const ports: Record<string, RedisPort> = {
  ioredis: new IoredisPort({ url: testEnv.redisUrl, logger: recordingLogger() }),
  upstash: new UpstashPort({ url: `http://127.0.0.1:${upstashServer.port}`, token: upstashToken }),
}

afterAll(async () => {
  for (const port of Object.values(ports)) await port.close()
  upstashServer.stop(true)
  redis.disconnect()
})

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe.each(Object.keys(ports))('purchase through the %s adapter', (adapter) => {
  const port = ports[adapter] as RedisPort

  test('accepts: 202, stock reserved, buyer and idempotency recorded, outbox record', async () => {
    const { app } = await gatewayOn(port)
    const dealId = await publishDeal(redis, { stock: 10, perUserLimit: 3, price: 2500 })
    const userId = crypto.randomUUID()
    const token = await tokens.tokenFor('customer', { sub: userId })
    const response = await app.handle(
      purchaseRequest(dealId, {
        token,
        key: 'first-try',
        body: { quantity: 2 },
        headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      }),
    )
    expect(response.status).toBe(202)
    const body = (await response.json()) as { orderId: string; status: string }
    expect(body.status).toBe('pending')
    expect(body.orderId).toMatch(UUID_V7)
    expect(response.headers.get('location')).toBe(`/v1/orders/${body.orderId}`)

    const state = await dealState(redis, dealId)
    expect(state.stock).toBe(8)
    expect(state.buyers).toEqual({ [userId]: 2 })
    expect(state.idempotency).toEqual({ [`${userId}:first-try`]: `${body.orderId}:2` })
    expect(state.outbox).toHaveLength(1)
    // One field, `order`, its values space-separated (contracts' outboxEntryFields names them).
    expect(state.outbox[0]?.[1]?.[0]).toBe('order')
    const fields = outboxEntryFields(state.outbox[0]?.[1] ?? [])
    expect(fields).toMatchObject({
      orderId: body.orderId,
      dealId,
      userId,
      quantity: '2',
      unitPrice: '2500',
      idempotencyKey: 'first-try',
    })
    expect(Math.abs(Number(fields.acceptedAtMs) - Date.now())).toBeLessThan(10_000)
    // The caller's trace goes on with the order; the gateway's own span id is new.
    expect(fields.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/)
    // The order itself, readable at its Location before the relay has seen it, in the same step.
    expect(state.orders).toEqual({ [body.orderId]: `${userId}:2:2500:${fields.acceptedAtMs}` })
    expect(parsePendingOrder(dealId, body.orderId, state.orders[body.orderId] ?? '')).toEqual({
      id: body.orderId,
      dealId,
      userId,
      quantity: 2,
      unitPrice: 2500,
      acceptedAt: new Date(Number(fields.acceptedAtMs)).toISOString(),
    })
  })

  test('traced: the reservation is a Redis span under the request span, and the outbox record carries its context', async () => {
    const { telemetry, spans } = recordingTelemetry('gateway')
    const { app } = await gatewayOn(port, { telemetry })
    const dealId = await publishDeal(redis, { stock: 3 })
    const token = await tokens.tokenFor('customer')
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736'
    const response = await app.handle(
      purchaseRequest(dealId, {
        token,
        key: 'traced',
        headers: { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` },
      }),
    )
    expect(response.status).toBe(202)

    const finished = await spans()
    const server = finished.find((span) => span.name === 'POST /v1/deals/:id/purchase')
    const reserve = finished.find((span) => span.name === 'EVALSHA reserve')
    expect(server?.spanContext().traceId).toBe(callerTrace)
    expect(server?.attributes['http.response.status_code']).toBe(202)
    expect(reserve?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
    expect(reserve?.attributes).toMatchObject({
      'db.system': 'redis',
      'db.operation.name': 'EVALSHA reserve',
      'flash_deal.purchase.outcome': 'accepted',
    })
    const [entry] = (await dealState(redis, dealId)).outbox
    const { traceparent } = outboxEntryFields(entry?.[1] ?? [])
    expect(traceparent).toBe(`00-${callerTrace}-${reserve?.spanContext().spanId}-01`)
  })

  test('traced: the per-user token bucket is a Redis span under the request span too', async () => {
    const { telemetry, spans } = recordingTelemetry('gateway')
    const { app } = await gatewayOn(port, {
      telemetry,
      limits: { user: { perSecond: 5, burst: 10 }, address: { perSecond: 0, burst: 1 } },
    })
    const dealId = await publishDeal(redis, { stock: 3 })
    const response = await app.handle(
      purchaseRequest(dealId, { token: await tokens.tokenFor('customer') }),
    )
    expect(response.status).toBe(202)
    const finished = await spans()
    const server = finished.find((span) => span.name === 'POST /v1/deals/:id/purchase')
    const bucket = finished.find((span) => span.name === 'EVALSHA token-bucket')
    expect(bucket?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
    expect(bucket?.attributes).toMatchObject({ 'db.system.name': 'redis' })
  })

  test('a retry with the same key answers the first order and reserves nothing more', async () => {
    const { app } = await gatewayOn(port)
    const dealId = await publishDeal(redis, { stock: 5 })
    const token = await tokens.tokenFor('customer')
    const first = await app.handle(purchaseRequest(dealId, { token, key: 'k-1' }))
    const retry = await app.handle(purchaseRequest(dealId, { token, key: 'k-1' }))
    expect(first.status).toBe(202)
    expect(retry.status).toBe(202)
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    const [a, b] = [
      (await first.json()) as { orderId: string },
      (await retry.json()) as { orderId: string },
    ]
    expect(b.orderId).toBe(a.orderId)
    const state = await dealState(redis, dealId)
    expect(state.stock).toBe(4)
    expect(state.outbox).toHaveLength(1)
    expect(Object.keys(state.orders)).toEqual([a.orderId])

    const otherQuantity = await app.handle(
      purchaseRequest(dealId, { token, key: 'k-1', body: { quantity: 2 } }),
    )
    expect(otherQuantity.status).toBe(422)
    expect(((await otherQuantity.json()) as { type: string }).type).toBe(
      'urn:flash-deal:problem:idempotency-key-reused',
    )
    expect((await dealState(redis, dealId)).stock).toBe(4)
  })

  test('refusals: limit reached 409, sold out 409, above the limit 422, not live 422, unknown 404', async () => {
    const { app } = await gatewayOn(port)
    const type = async (response: Response) => ((await response.json()) as { type: string }).type
    const token = await tokens.tokenFor('customer')

    const limited = await publishDeal(redis, { stock: 10, perUserLimit: 2 })
    expect(
      (await app.handle(purchaseRequest(limited, { token, body: { quantity: 2 } }))).status,
    ).toBe(202)
    const overLimit = await app.handle(purchaseRequest(limited, { token }))
    expect(overLimit.status).toBe(409)
    expect(await type(overLimit)).toBe('urn:flash-deal:problem:purchase-limit-reached')
    const tooMany = await app.handle(purchaseRequest(limited, { token, body: { quantity: 3 } }))
    expect(tooMany.status).toBe(422)
    expect(await type(tooMany)).toBe('urn:flash-deal:problem:validation')
    expect((await dealState(redis, limited)).stock).toBe(8)

    const scarce = await publishDeal(redis, { stock: 1, perUserLimit: 1 })
    expect((await app.handle(purchaseRequest(scarce, { token }))).status).toBe(202)
    const soldOut = await app.handle(
      purchaseRequest(scarce, { token: await tokens.tokenFor('customer') }),
    )
    expect(soldOut.status).toBe(409)
    expect(await type(soldOut)).toBe('urn:flash-deal:problem:sold-out')
    expect((await dealState(redis, scarce)).stock).toBe(0)

    const upcoming = await publishDeal(redis, { startsAt: Date.now() + 60_000 })
    const early = await app.handle(purchaseRequest(upcoming, { token }))
    expect(early.status).toBe(422)
    expect(await early.json()).toMatchObject({
      type: 'urn:flash-deal:problem:deal-not-live',
      reason: 'not-started',
    })
    const over = await publishDeal(redis, {
      startsAt: Date.now() - 120_000,
      endsAt: Date.now() - 60_000,
    })
    const late = await app.handle(purchaseRequest(over, { token }))
    expect(late.status).toBe(422)
    expect(await late.json()).toMatchObject({ reason: 'ended' })
    for (const id of [upcoming, over]) expect((await dealState(redis, id)).stock).toBe(10)

    const unknown = await app.handle(purchaseRequest(crypto.randomUUID(), { token }))
    expect(unknown.status).toBe(404)
  })
})

describe('bad input is refused before anything is reserved', () => {
  const port = ports.ioredis as RedisPort

  test.each([
    ['quantity 0', { body: { quantity: 0 } }, 422],
    ['negative quantity', { body: { quantity: -1 } }, 422],
    ['fractional quantity', { body: { quantity: 1.5 } }, 422],
    ['quantity as a string', { body: { quantity: '1' } }, 422],
    ['an unknown field', { body: { quantity: 1, price: 0 } }, 422],
    ['no Idempotency-Key', { key: null }, 400],
    ['an empty Idempotency-Key', { key: '' }, 400],
    ['an Idempotency-Key over 64 characters', { key: 'k'.repeat(65) }, 400],
    ['an Idempotency-Key with a space', { key: 'two words' }, 400],
  ] as const)('%s → %d', async (_, options, status) => {
    const { app } = await gatewayOn(port)
    const dealId = await publishDeal(redis, { stock: 10 })
    const token = await tokens.tokenFor('customer')
    const response = await app.handle(purchaseRequest(dealId, { token, ...options }))
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toContain('application/problem+json')
    const state = await dealState(redis, dealId)
    expect(state.stock).toBe(10)
    expect(state.outbox).toHaveLength(0)
  })

  test('no token, a forged token and a malformed deal id', async () => {
    const { app } = await gatewayOn(port)
    const dealId = await publishDeal(redis, { stock: 10 })
    expect((await app.handle(purchaseRequest(dealId, {}))).status).toBe(401)
    const forged = await tokens.tokenFor('customer', { audience: 'someone-else' })
    expect((await app.handle(purchaseRequest(dealId, { token: forged }))).status).toBe(401)
    const token = await tokens.tokenFor('customer')
    expect((await app.handle(purchaseRequest('not-a-uuid', { token }))).status).toBe(422)
    expect((await dealState(redis, dealId)).stock).toBe(10)
  })
})

test('no oversell: 2,000 concurrent attempts by 500 users, retries reusing their keys', async () => {
  const port = ports.ioredis as RedisPort
  const { app } = await gatewayOn(port)
  const dealId = await publishDeal(redis, { stock: 100, perUserLimit: 2 })
  const users = await Promise.all(
    Array.from({ length: 500 }, async () => {
      const sub = crypto.randomUUID()
      return { sub, token: await tokens.tokenFor('customer', { sub }) }
    }),
  )
  // Each user makes two purchases and retries each one with the same key: 2,000 requests.
  const attempts = users.flatMap((user) =>
    [0, 1, 0, 1].map((n) => ({ user, key: `${user.sub}-${n}` })),
  )
  const answers = await Promise.all(
    attempts.map(async ({ user, key }) => {
      const response = await app.handle(purchaseRequest(dealId, { token: user.token, key }))
      const body = (await response.json()) as { orderId?: string }
      return { user: user.sub, key, status: response.status, orderId: body.orderId }
    }),
  )
  const accepted = new Map<string, { user: string; orderId: string }>()
  for (const answer of answers) {
    expect([202, 409]).toContain(answer.status)
    if (answer.status !== 202 || !answer.orderId) continue
    const earlier = accepted.get(answer.key)
    if (earlier) expect(answer.orderId).toBe(earlier.orderId)
    else accepted.set(answer.key, { user: answer.user, orderId: answer.orderId })
  }
  expect(accepted.size).toBe(100)
  const perUser = new Map<string, number>()
  for (const { user } of accepted.values()) perUser.set(user, (perUser.get(user) ?? 0) + 1)
  expect(Math.max(...perUser.values())).toBeLessThanOrEqual(2)

  const state = await dealState(redis, dealId)
  expect(state.stock).toBe(0)
  expect(state.outbox).toHaveLength(100)
  const outboxOrders = new Set(state.outbox.map(([, fields]) => outboxEntryFields(fields).orderId))
  expect(outboxOrders).toEqual(new Set([...accepted.values()].map((a) => a.orderId)))
})

test('rate limit: a user over the burst gets 429 with Retry-After and reserves nothing', async () => {
  const { app } = await gatewayOn(ports.ioredis as RedisPort, {
    limits: { user: { perSecond: 1, burst: 3 }, address: { perSecond: 0, burst: 1 } },
  })
  const dealId = await publishDeal(redis, { stock: 10, perUserLimit: 10 })
  const token = await tokens.tokenFor('customer')
  const statuses: number[] = []
  let limited: Response | undefined
  for (let i = 0; i < 5; i++) {
    const response = await app.handle(purchaseRequest(dealId, { token }))
    statuses.push(response.status)
    if (response.status === 429) limited = response
  }
  expect(statuses).toEqual([202, 202, 202, 429, 429])
  expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  expect((await dealState(redis, dealId)).stock).toBe(7)
  // Another user is not limited by this one's bucket.
  const other = await tokens.tokenFor('customer')
  expect((await app.handle(purchaseRequest(dealId, { token: other }))).status).toBe(202)
})

test('rate limit per client address, on a listening gateway', async () => {
  const { app } = await gatewayOn(ports.ioredis as RedisPort, {
    limits: { user: { perSecond: 0, burst: 1 }, address: { perSecond: 1, burst: 2 } },
  })
  const server = app.listen({ port: 0, hostname: '127.0.0.1' }).server
  try {
    const dealId = await publishDeal(redis, { stock: 10, perUserLimit: 10 })
    // This machine's address has one bucket for every test that purchases over a socket (the
    // workerd gateway's test leaves it empty): start it full.
    await redis.del('ratelimit:{addr:127.0.0.1}')
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) {
      const request = purchaseRequest(dealId, { token: await tokens.tokenFor('customer') })
      const response = await fetch(`http://127.0.0.1:${server?.port}/v1/deals/${dealId}/purchase`, {
        method: 'POST',
        headers: request.headers,
        body: await request.text(),
      })
      statuses.push(response.status)
    }
    expect(statuses).toEqual([202, 202, 429])
  } finally {
    await app.stop()
  }
})

test('Redis unreachable: 503, never accepted', async () => {
  const deadPort = new IoredisPort({ url: deadRedisUrl, logger: recordingLogger() })
  try {
    const { app } = await gatewayOn(deadPort)
    const response = await app.handle(
      purchaseRequest(crypto.randomUUID(), { token: await tokens.tokenFor('customer') }),
    )
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('1')
  } finally {
    await deadPort.close()
  }
})

test('after SCRIPT FLUSH (a Redis restart) the scripts are loaded again by EVAL', async () => {
  for (const port of Object.values(ports)) {
    const { app } = await gatewayOn(port)
    const dealId = await publishDeal(redis, { stock: 3 })
    await redis.script('FLUSH')
    const response = await app.handle(
      purchaseRequest(dealId, { token: await tokens.tokenFor('customer') }),
    )
    expect(response.status).toBe(202)
    expect((await dealState(redis, dealId)).stock).toBe(2)
  }
})

test('the deal keys share one hash slot', () => {
  const tags = dealKeys(crypto.randomUUID()).map((key) => /\{(.+?)\}/.exec(key)?.[1])
  expect(new Set(tags).size).toBe(1)
})

test('a deal whose stock Redis lost (being restored) is 503, never accepted', async () => {
  const { app } = await gatewayOn(ports.ioredis as RedisPort)
  const dealId = await publishDeal(redis, { stock: 5 })
  await redis.del(dealKeys(dealId)[0])
  const response = await app.handle(
    purchaseRequest(dealId, { token: await tokens.tokenFor('customer') }),
  )
  expect(response.status).toBe(503)
  expect((await dealState(redis, dealId)).outbox).toHaveLength(0)
})

test('a deal whose purchase state expired after its end (retention) is ended, not 503', async () => {
  const { app } = await gatewayOn(ports.ioredis as RedisPort)
  const dealId = await publishDeal(redis, {
    startsAt: Date.now() - 120_000,
    endsAt: Date.now() - 60_000,
  })
  // What the relay's expiry leaves: the info, no stock, buyers, idempotency records or outbox.
  await redis.del(...dealPurchaseStateKeys(dealId))
  const response = await app.handle(
    purchaseRequest(dealId, { token: await tokens.tokenFor('customer') }),
  )
  expect(response.status).toBe(422)
  expect(await response.json()).toMatchObject({ reason: 'ended' })
  expect(await redis.exists(...dealPurchaseStateKeys(dealId))).toBe(0)
})

test('purchase outcomes are counted: accepted, replayed, sold out, bad input', async () => {
  const metrics = recordingMetrics('gateway')
  const { app } = await gatewayOn(ports.ioredis as RedisPort, { telemetry: metrics.telemetry })
  const count = (outcome: string) => metrics.value('flash_deal.purchase.outcomes', { outcome })
  const dealId = await publishDeal(redis, { stock: 1, perUserLimit: 1 })
  const token = await tokens.tokenFor('customer')

  expect((await app.handle(purchaseRequest(dealId, { token, key: 'k1' }))).status).toBe(202)
  expect(await count('accepted')).toBe(1)
  expect((await app.handle(purchaseRequest(dealId, { token, key: 'k1' }))).status).toBe(202)
  expect(await count('replayed')).toBe(1)
  const other = await tokens.tokenFor('customer')
  expect((await app.handle(purchaseRequest(dealId, { token: other }))).status).toBe(409)
  expect((await app.handle(purchaseRequest(dealId, { token: other }))).status).toBe(409)
  expect(await count('sold_out')).toBe(2)
  expect((await app.handle(purchaseRequest(dealId, { token: other, key: null }))).status).toBe(400)
  expect(await count('rejected_input')).toBe(1)
  // Each attempt counted once, under one outcome.
  expect(await count('accepted')).toBe(1)
  const total = (await metrics.points('flash_deal.purchase.outcomes')).reduce(
    (sum, point) => sum + (point.value as number),
    0,
  )
  expect(total).toBe(5)
})

test('an upper-case deal id buys the same deal (Redis keys are lower case)', async () => {
  const { app } = await gatewayOn(ports.ioredis as RedisPort)
  const dealId = await publishDeal(redis, { stock: 5, perUserLimit: 2 })
  const token = await tokens.tokenFor('customer', { sub: crypto.randomUUID() })
  const response = await app.handle(
    purchaseRequest(dealId.toUpperCase(), { token, key: 'upper-case', body: { quantity: 1 } }),
  )
  expect(response.status).toBe(202)
  expect((await dealState(redis, dealId)).stock).toBe(4)
})

test('a purchase body without Content-Type is 415 and reserves nothing (it was read as quantity 1)', async () => {
  const { app } = await gatewayOn(ports.ioredis as RedisPort)
  const dealId = await publishDeal(redis, { stock: 5, perUserLimit: 2 })
  const token = await tokens.tokenFor('customer', { sub: crypto.randomUUID() })
  const request = purchaseRequest(dealId, { token, body: { quantity: 2 } })
  request.headers.delete('content-type')
  const response = await app.handle(request)
  expect(response.status).toBe(415)
  expect(response.headers.get('content-type')).toContain('application/problem+json')
  expect((await dealState(redis, dealId)).stock).toBe(5)
})

test.each(['null', '0', 'false', '""'])(
  'a purchase body of %s is 422 and reserves nothing (it was read as no body)',
  async (json) => {
    const { app } = await gatewayOn(ports.ioredis as RedisPort)
    const dealId = await publishDeal(redis, { stock: 5, perUserLimit: 2 })
    const token = await tokens.tokenFor('customer', { sub: crypto.randomUUID() })
    const shaped = purchaseRequest(dealId, { token })
    const response = await app.handle(
      new Request(shaped.url, { method: 'POST', headers: shaped.headers, body: json }),
    )
    expect(response.status).toBe(422)
    expect((await dealState(redis, dealId)).stock).toBe(5)
  },
)
