/** Deals over HTTP on real Postgres and Redis. */
import { afterAll, describe, expect, test } from 'bun:test'
import {
  dealInfoKey,
  dealStockKey,
  OUTBOX_REGISTRY_KEY,
  publishDealCall,
  runDealScript,
} from '@flash-deal/contracts'
import { queries } from '@flash-deal/db'
import { createRedis } from '@flash-deal/kit/redis'
import { call, deadRedisUrl, testTokens, uniqueSuffix } from '@flash-deal/testing'
import { RdbProductRepository } from '../src/repository/rdb'
import { createApp, productTestStores } from './support'

const stores = productTestStores()
const { logger, sql, redis } = stores
const deadRedis = createRedis(deadRedisUrl, logger)
const { verifier, tokenFor } = await testTokens()
const app = createApp({ sql, redis, logger, verifier, products: new RdbProductRepository({ sql }) })
const admin = await tokenFor('admin')
const customer = await tokenFor('customer')
const product = await new RdbProductRepository({ sql }).createProduct({
  name: `Deal base ${uniqueSuffix()}`,
  description: '',
  price: 10_000,
  currency: 'USD',
})

afterAll(async () => {
  await stores.close()
  deadRedis.disconnect()
})

const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString()
const dealBody = (change: Record<string, unknown> = {}) => ({
  productId: product.id,
  price: 4_900,
  stock: 100,
  perUserLimit: 2,
  startsAt: minutes(-1),
  endsAt: minutes(60),
  ...change,
})

describe('creating deals', () => {
  test('an admin creates a live deal; its stock and rules are published to Redis', async () => {
    const response = await call(app, 'POST', '/v1/deals', { body: dealBody(), token: admin })
    expect(response.status).toBe(201)
    const deal = await response.json()
    expect(deal).toMatchObject({
      productId: product.id,
      stock: 100,
      perUserLimit: 2,
      status: 'live',
      remaining: 100,
    })
    expect(await redis.get(dealStockKey(deal.id))).toBe('100')
    expect(await redis.hgetall(dealInfoKey(deal.id))).toMatchObject({
      price: '4900',
      perUserLimit: '2',
      productId: product.id,
    })
    // The relay will drain this deal's outbox.
    expect(await redis.sismember(OUTBOX_REGISTRY_KEY, deal.id)).toBe(1)
  })

  test('the payment window: 600 s when left out, the one given otherwise, shown on the deal', async () => {
    const plain = await call(app, 'POST', '/v1/deals', { body: dealBody(), token: admin })
    expect((await plain.json()).holdSeconds).toBe(600)
    const short = await (
      await call(app, 'POST', '/v1/deals', { body: dealBody({ holdSeconds: 5 }), token: admin })
    ).json()
    expect(short.holdSeconds).toBe(5)
    expect((await (await call(app, 'GET', `/v1/deals/${short.id}`)).json()).holdSeconds).toBe(5)
  })

  test('publishing again never refills a half-sold deal', async () => {
    const deal = await (
      await call(app, 'POST', '/v1/deals', { body: dealBody(), token: admin })
    ).json()
    await redis.decrby(dealStockKey(deal.id), 30)
    // What a retried publish sends (the service's own call, same script and arguments).
    const created = await runDealScript(
      redis,
      publishDealCall({
        dealId: deal.id,
        stock: 100,
        price: 1,
        perUserLimit: 1,
        startsAt: new Date(0),
        endsAt: new Date(1),
        productId: product.id,
      }),
    )
    expect(created).toBe(false)
    expect(await redis.get(dealStockKey(deal.id))).toBe('70')
  })

  test.each([
    ['endsAt before startsAt', { startsAt: minutes(10), endsAt: minutes(5) }, 'body.endsAt'],
    ['a per-user limit above the stock', { stock: 3, perUserLimit: 4 }, 'body.perUserLimit'],
    ['a per-user limit below 1', { perUserLimit: 0 }, 'body.perUserLimit'],
    ['a negative stock', { stock: -1 }, 'body.stock'],
    ['a payment window under 5 s', { holdSeconds: 4 }, 'body.holdSeconds'],
    ['a payment window over an hour', { holdSeconds: 3601 }, 'body.holdSeconds'],
    ['a negative price', { price: -1 }, 'body.price'],
    ['a time that is not ISO 8601', { startsAt: 'tomorrow' }, 'body.startsAt'],
    ['an unknown product', { productId: crypto.randomUUID() }, 'body.productId'],
    ['an unknown field', { discount: 10 }, 'body'],
  ])('%s is 422 naming the field, and nothing is written', async (_, change, field) => {
    const before = await queries.listOpenDeals(sql, { window: 'open', limit: 1_000_000 })
    const response = await call(app, 'POST', '/v1/deals', { body: dealBody(change), token: admin })
    expect(response.status).toBe(422)
    expect(
      (await response.json()).errors.map((error: { field: string }) => error.field).join(' '),
    ).toContain(field)
    expect((await queries.listOpenDeals(sql, { window: 'open', limit: 1_000_000 })).length).toBe(
      before.length,
    )
  })

  test('a customer is 403 and no token 401', async () => {
    expect(
      (await call(app, 'POST', '/v1/deals', { body: dealBody(), token: customer })).status,
    ).toBe(403)
    expect((await call(app, 'POST', '/v1/deals', { body: dealBody() })).status).toBe(401)
  })

  test('with Redis down the deal is not created: 503 and no row', async () => {
    const down = createApp({
      sql,
      redis: deadRedis,
      logger,
      verifier,
      products: new RdbProductRepository({ sql }),
    })
    const before = (await queries.listOpenDeals(sql, { window: 'open', limit: 1_000_000 })).length
    const response = await call(down, 'POST', '/v1/deals', { body: dealBody(), token: admin })
    expect(response.status).toBe(503)
    expect((await queries.listOpenDeals(sql, { window: 'open', limit: 1_000_000 })).length).toBe(
      before,
    )
  })
})

describe('reading deals', () => {
  test('remaining comes from Redis during the sale, and 0 left is sold_out', async () => {
    const deal = await (
      await call(app, 'POST', '/v1/deals', {
        body: dealBody({ stock: 5, perUserLimit: 1 }),
        token: admin,
      })
    ).json()
    await redis.decrby(dealStockKey(deal.id), 2)
    expect(await (await call(app, 'GET', `/v1/deals/${deal.id}`)).json()).toMatchObject({
      remaining: 3,
      status: 'live',
    })
    await redis.set(dealStockKey(deal.id), 0)
    expect(await (await call(app, 'GET', `/v1/deals/${deal.id}`)).json()).toMatchObject({
      remaining: 0,
      status: 'sold_out',
    })
  })

  test('a deal that has not started is scheduled and listed as upcoming, not live', async () => {
    const deal = await (
      await call(app, 'POST', '/v1/deals', {
        body: dealBody({ startsAt: minutes(30), endsAt: minutes(90) }),
        token: admin,
      })
    ).json()
    expect(deal.status).toBe('scheduled')
    const upcoming = await (await call(app, 'GET', '/v1/deals?status=upcoming')).json()
    const live = await (await call(app, 'GET', '/v1/deals?status=live')).json()
    expect(upcoming.items.map((item: { id: string }) => item.id)).toContain(deal.id)
    expect(live.items.map((item: { id: string }) => item.id)).not.toContain(deal.id)
  })

  test('unknown ids are 404, malformed ones and unknown filters 422', async () => {
    expect((await call(app, 'GET', `/v1/deals/${crypto.randomUUID()}`)).status).toBe(404)
    expect((await call(app, 'GET', '/v1/deals/abc')).status).toBe(422)
    expect((await call(app, 'GET', '/v1/deals?status=everything')).status).toBe(422)
  })
})

describe('editing deals', () => {
  test('a scheduled deal can change; Postgres and Redis both take the new stock', async () => {
    const deal = await (
      await call(app, 'POST', '/v1/deals', {
        body: dealBody({ startsAt: minutes(30), endsAt: minutes(90) }),
        token: admin,
      })
    ).json()
    const response = await call(app, 'PATCH', `/v1/deals/${deal.id}`, {
      body: { stock: 40, perUserLimit: 3 },
      token: admin,
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      stock: 40,
      perUserLimit: 3,
      remaining: 40,
      status: 'scheduled',
    })
    expect(await redis.get(dealStockKey(deal.id))).toBe('40')
    expect(await redis.hget(dealInfoKey(deal.id), 'perUserLimit')).toBe('3')
  })

  test('editing the stock of a live deal is 409 and changes nothing', async () => {
    const deal = await (
      await call(app, 'POST', '/v1/deals', { body: dealBody(), token: admin })
    ).json()
    await redis.decrby(dealStockKey(deal.id), 10)
    const response = await call(app, 'PATCH', `/v1/deals/${deal.id}`, {
      body: { stock: 500 },
      token: admin,
    })
    expect(response.status).toBe(409)
    expect((await response.json()).type).toBe('urn:flash-deal:problem:deal-started')
    expect(await redis.get(dealStockKey(deal.id))).toBe('90')
    expect((await queries.getDeal(sql, { id: deal.id }))?.stock).toBe(100)
  })

  test('an edit that breaks the rules, an unknown deal or a customer changes nothing', async () => {
    const deal = await (
      await call(app, 'POST', '/v1/deals', {
        body: dealBody({ startsAt: minutes(30), endsAt: minutes(90), stock: 10 }),
        token: admin,
      })
    ).json()
    const tooGenerous = await call(app, 'PATCH', `/v1/deals/${deal.id}`, {
      body: { perUserLimit: 11 },
      token: admin,
    })
    expect(tooGenerous.status).toBe(422)
    expect(
      (await call(app, 'PATCH', `/v1/deals/${deal.id}`, { body: {}, token: admin })).status,
    ).toBe(422)
    expect(
      (
        await call(app, 'PATCH', `/v1/deals/${crypto.randomUUID()}`, {
          body: { stock: 5 },
          token: admin,
        })
      ).status,
    ).toBe(404)
    expect(
      (await call(app, 'PATCH', `/v1/deals/${deal.id}`, { body: { stock: 5 }, token: customer }))
        .status,
    ).toBe(403)
    expect(await redis.get(dealStockKey(deal.id))).toBe('10')
  })
})

describe('input rules (issue 13: one bad date took the deal list down)', () => {
  test.each([
    ['a year below 100', { startsAt: '0014-08-01T07:01:00+02:00' }],
    ['a year below 1970', { startsAt: '1969-12-31T23:59:59Z' }],
    ['an impossible day', { endsAt: '2030-02-30T10:00:00Z' }],
    ['a date without a time', { endsAt: '2030-03-01' }],
    ['no offset', { endsAt: '2030-03-01T10:00:00' }],
    ['an expanded year', { endsAt: '+275760-09-13T00:00:00.000Z' }],
    ['a numeric string for an integer', { price: '100' }],
    ['U+0000 in a text field', { startsAt: 'a\u0000' }],
  ])('%s is 422 and creates nothing', async (_, change) => {
    const before = await sql`SELECT count(*)::int AS n FROM deals`
    const response = await call(app, 'POST', '/v1/deals', { body: dealBody(change), token: admin })
    expect(response.status).toBe(422)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    const after = await sql`SELECT count(*)::int AS n FROM deals`
    expect(after[0]?.n).toBe(before[0]?.n)
  })

  test('a forged cursor holding an extreme date is 422, not a failed query', async () => {
    const cursor = Buffer.from(`+275760-09-13T00:00:00.000Z|${crypto.randomUUID()}`).toString(
      'base64url',
    )
    const response = await call(app, 'GET', `/v1/products?cursor=${cursor}`)
    expect(response.status).toBe(422)
  })

  test('one unreadable row (a window no instant carries, or stock Redis holds as text) never fails the list', async () => {
    const good = await (
      await call(app, 'POST', '/v1/deals', { body: dealBody(), token: admin })
    ).json()
    const garbled = await (
      await call(app, 'POST', '/v1/deals', { body: dealBody(), token: admin })
    ).json()
    await redis.set(dealStockKey(garbled.id), 'NaN')
    const [unreadable] = await sql`
      INSERT INTO deals (product_id, price, stock, stock_remaining, per_user_limit, starts_at, ends_at)
      VALUES (${product.id}, 100, 5, 5, 1, now() - interval '1 minute', 'infinity')
      RETURNING id`
    try {
      const response = await call(app, 'GET', '/v1/deals?status=live')
      expect(response.status).toBe(200)
      const ids = ((await response.json()) as { items: { id: string; remaining: number }[] }).items
      expect(ids.map((deal) => deal.id)).toContain(good.id)
      expect(ids.map((deal) => deal.id)).not.toContain(unreadable?.id)
      // The garbled Redis stock falls back to Postgres's count.
      expect(ids.find((deal) => deal.id === garbled.id)?.remaining).toBe(100)
    } finally {
      await sql`DELETE FROM deals WHERE id = ${unreadable?.id}`
      // Leave no live deal with garbled stock behind (the fuzzer on the same stack buys it: 503).
      await redis.set(dealStockKey(garbled.id), String(garbled.stock))
    }
  })
})
