/**
 * The ProductRepository contract, run against both strategies on real Postgres and Redis: the
 * cache must be invisible except for speed.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { uniqueSuffix } from '@flash-deal/testing'
import type { ProductRepository } from '../../src/repository/base'
import { CachedProductRepository } from '../../src/repository/cached'
import { RdbProductRepository } from '../../src/repository/rdb'
import { productTestStores } from '../support'

const stores = productTestStores()
const { logger, sql, redis } = stores
afterAll(() => stores.close())

const strategies: [string, () => ProductRepository][] = [
  ['rdb', () => new RdbProductRepository({ sql })],
  [
    'cached(rdb)',
    () => new CachedProductRepository({ inner: new RdbProductRepository({ sql }), redis, logger }),
  ],
]

const newProduct = (name = `Widget ${uniqueSuffix()}`) => ({
  name,
  description: 'A thing',
  price: 1999,
  currency: 'USD',
})

describe.each(strategies)('%s honours the ProductRepository contract', (_, make) => {
  const products = make()

  test('a created product can be read back', async () => {
    const created = await products.createProduct(newProduct())
    expect(created).toMatchObject(newProduct(created.name))
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/)
    const read = await products.getProduct(created.id)
    expect(read.value).toEqual(created)
  })

  test('an unknown id reads as null', async () => {
    expect((await products.getProduct(crypto.randomUUID())).value).toBeNull()
  })

  test('an update changes only the given fields and later reads see it', async () => {
    const created = await products.createProduct(newProduct())
    await products.getProduct(created.id)
    const updated = await products.updateProduct(created.id, { price: 2500 })
    expect(updated).toMatchObject({ name: created.name, price: 2500, currency: 'USD' })
    expect((await products.getProduct(created.id)).value?.price).toBe(2500)
  })

  test('updating an unknown id returns null', async () => {
    expect(await products.updateProduct(crypto.randomUUID(), { price: 1 })).toBeNull()
  })

  test('lists newest first, page by page, without gaps or repeats', async () => {
    const made = []
    for (let i = 0; i < 5; i += 1) made.push(await products.createProduct(newProduct()))
    const first = await products.listProducts({ limit: 3 })
    const last = first.at(-1)
    if (!last) throw new Error('empty page')
    const second = await products.listProducts({
      limit: 3,
      after: { createdAt: last.createdAt, id: last.id },
    })
    const seen = [...first, ...second]
    const ids = seen.map((product) => product.id)
    // The five newest are the five just made (ties in created_at break by id).
    expect(new Set(ids.slice(0, 5))).toEqual(new Set(made.map((product) => product.id)))
    expect(new Set(ids).size).toBe(ids.length)
    const order = (a: (typeof seen)[number], b: (typeof seen)[number]) =>
      b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)
    expect(ids).toEqual([...seen].sort(order).map((product) => product.id))
  })
})
