/** The product routes over HTTP, on real Postgres and Redis, with the cache strategy injected. */
import { afterAll, describe, expect, test } from 'bun:test'
import { caller, testTokens, uniqueSuffix } from '@flash-deal/testing'
import { CachedProductRepository } from '../src/repository/cached'
import { RdbProductRepository } from '../src/repository/rdb'
import { createApp, productTestStores } from './support'

const stores = productTestStores()
const { logger, sql, redis } = stores
const { verifier, tokenFor } = await testTokens()
const cached = new CachedProductRepository({
  inner: new RdbProductRepository({ sql }),
  redis,
  logger,
})
const app = createApp({ sql, redis, logger, verifier, products: cached, cacheStats: cached.stats })
const admin = await tokenFor('admin')
const customer = await tokenFor('customer')

afterAll(() => stores.close())

const call = caller(app)

const valid = () => ({
  name: `Phone ${uniqueSuffix()}`,
  description: 'Fast',
  price: 49_900,
  currency: 'USD',
})

describe('writes', () => {
  test('an admin creates a product: 201 with the stored fields', async () => {
    const response = await call('POST', '/v1/products', { body: valid(), token: admin })
    expect(response.status).toBe(201)
    const product = await response.json()
    expect(product).toMatchObject({ price: 49_900, currency: 'USD', description: 'Fast' })
    expect(Date.parse(product.createdAt)).toBeGreaterThan(0)
  })

  test('no token is 401 and a customer is 403; nothing is written', async () => {
    const body = valid()
    expect((await call('POST', '/v1/products', { body })).status).toBe(401)
    expect((await call('POST', '/v1/products', { body, token: customer })).status).toBe(403)
    const page = await (await call('GET', '/v1/products?limit=100')).json()
    expect(page.items.some((item: { name: string }) => item.name === body.name)).toBe(false)
  })

  test.each([
    ['a negative price', { price: -1 }, 'body.price'],
    ['a fractional price', { price: 1.5 }, 'body.price'],
    ['a lower-case currency', { currency: 'usd' }, 'body.currency'],
    ['an empty name', { name: '' }, 'body.name'],
    ['an unknown field', { stock: 5 }, 'body'],
  ])('%s is 422 naming the field', async (_, change, field) => {
    const response = await call('POST', '/v1/products', {
      body: { ...valid(), ...change },
      token: admin,
    })
    expect(response.status).toBe(422)
    const fields = (await response.json()).errors
      .map((error: { field: string }) => error.field)
      .join(' ')
    expect(fields).toContain(field)
  })

  test('PATCH changes the given fields; the next read is not a stale cache hit', async () => {
    const product = await (
      await call('POST', '/v1/products', { body: valid(), token: admin })
    ).json()
    await call('GET', `/v1/products/${product.id}`)
    const patched = await call('PATCH', `/v1/products/${product.id}`, {
      body: { price: 100 },
      token: admin,
    })
    expect(patched.status).toBe(200)
    const read = await call('GET', `/v1/products/${product.id}`)
    expect(read.headers.get('x-cache')).toBe('miss')
    const after = await read.json()
    expect(after.price).toBe(100)
    expect(after.description).toBe(product.description)
  })

  test('PATCH with no fields, or on an unknown id, or by a customer, changes nothing', async () => {
    const product = await (
      await call('POST', '/v1/products', { body: valid(), token: admin })
    ).json()
    expect(
      (await call('PATCH', `/v1/products/${product.id}`, { body: {}, token: admin })).status,
    ).toBe(422)
    expect(
      (
        await call('PATCH', `/v1/products/${crypto.randomUUID()}`, {
          body: { price: 1 },
          token: admin,
        })
      ).status,
    ).toBe(404)
    expect(
      (await call('PATCH', `/v1/products/${product.id}`, { body: { price: 1 }, token: customer }))
        .status,
    ).toBe(403)
    expect((await (await call('GET', `/v1/products/${product.id}`)).json()).price).toBe(
      product.price,
    )
  })
})

describe('reads', () => {
  test('the second read of a product is a cache hit', async () => {
    const product = await (
      await call('POST', '/v1/products', { body: valid(), token: admin })
    ).json()
    const first = await call('GET', `/v1/products/${product.id}`)
    const second = await call('GET', `/v1/products/${product.id}`)
    expect(first.headers.get('x-cache')).toBe('miss')
    expect(second.headers.get('x-cache')).toBe('hit')
    expect(await second.json()).toEqual(await first.json())
    const stats = await (await call('GET', '/metrics/cache')).json()
    expect(stats).toMatchObject({ enabled: true })
    expect(stats.hits + stats.nearHits).toBeGreaterThanOrEqual(1)
  })

  test('an unknown id is 404 and a malformed one 422', async () => {
    expect((await call('GET', `/v1/products/${crypto.randomUUID()}`)).status).toBe(404)
    const malformed = await call('GET', '/v1/products/42')
    expect(malformed.status).toBe(422)
    expect((await malformed.json()).errors[0].field).toBe('params.id')
  })

  test('the list pages with an opaque cursor', async () => {
    for (let i = 0; i < 3; i += 1)
      await call('POST', '/v1/products', { body: valid(), token: admin })
    const first = await (await call('GET', '/v1/products?limit=2')).json()
    expect(first.items).toHaveLength(2)
    expect(typeof first.nextCursor).toBe('string')
    const second = await (
      await call('GET', `/v1/products?limit=2&cursor=${first.nextCursor}`)
    ).json()
    expect(second.items[0].id).not.toBe(first.items[1].id)
  })

  test('an oversized page is 422 and a forged cursor 400', async () => {
    expect((await call('GET', '/v1/products?limit=101')).status).toBe(422)
    const forged = await call('GET', '/v1/products?cursor=not-a-cursor')
    expect(forged.status).toBe(400)
    expect((await forged.json()).errors[0].field).toBe('query.cursor')
  })
})
