/** What the cache strategy adds, on real Postgres and Redis. */
import { afterAll, expect, test } from 'bun:test'
import { createRedis } from '@flash-deal/kit/redis'
import { deadRedisUrl, recordingMetrics, uniqueSuffix } from '@flash-deal/testing'
import { observeCacheStats } from '../../src/repository/cache-stats'
import { CachedProductRepository, productCacheKey } from '../../src/repository/cached'
import { RdbProductRepository } from '../../src/repository/rdb'
import { productTestStores } from '../support'

const stores = productTestStores()
const { logger, sql, redis } = stores
const deadRedis = createRedis(deadRedisUrl, logger)
afterAll(async () => {
  await stores.close()
  deadRedis.disconnect()
})

/** The real rdb repository, counting the reads that reach Postgres. */
function countingRdb() {
  const counter = { reads: 0 }
  const repository = new (class extends RdbProductRepository {
    override getProduct(id: string) {
      counter.reads += 1
      return super.getProduct(id)
    }
  })({ sql })
  return { repository, counter }
}

const seed = () =>
  new RdbProductRepository({ sql }).createProduct({
    name: `Hot ${uniqueSuffix()}`,
    description: '',
    price: 500,
    currency: 'KRW',
  })

test('a miss reads Postgres and writes back; the next read is a hit that does not', async () => {
  const product = await seed()
  const { repository, counter } = countingRdb()
  const cached = new CachedProductRepository({
    inner: repository,
    redis,
    logger,
    options: { nearTtlMs: 0 },
  })
  expect((await cached.getProduct(product.id)).source).toBe('database')
  const hit = await cached.getProduct(product.id)
  expect(hit.source).toBe('cache')
  expect(hit.value).toEqual(product)
  expect(counter.reads).toBe(1)
  expect(cached.stats()).toMatchObject({ hits: 1, misses: 1, loads: 1 })
  const ttl = await redis.ttl(productCacheKey(product.id))
  expect(ttl).toBeGreaterThan(290)
  expect(ttl).toBeLessThanOrEqual(330)
})

test('an update invalidates the cached entry', async () => {
  const product = await seed()
  const cached = new CachedProductRepository({
    inner: new RdbProductRepository({ sql }),
    redis,
    logger,
  })
  await cached.getProduct(product.id)
  await cached.updateProduct(product.id, { name: 'Renamed' })
  expect(await redis.exists(productCacheKey(product.id))).toBe(0)
  const read = await cached.getProduct(product.id)
  expect(read.source).toBe('database')
  expect(read.value?.name).toBe('Renamed')
})

test('single-flight: a thousand concurrent misses of one key make one database read', async () => {
  const product = await seed()
  const { repository, counter } = countingRdb()
  const cached = new CachedProductRepository({ inner: repository, redis, logger })
  const reads = await Promise.all(Array.from({ length: 1000 }, () => cached.getProduct(product.id)))
  expect(reads.every((read) => read.value?.id === product.id)).toBe(true)
  expect(counter.reads).toBe(1)
  expect(cached.stats().loads).toBe(1)
})

test('a missing product is cached briefly, so repeated lookups do not reach Postgres', async () => {
  const { repository, counter } = countingRdb()
  const cached = new CachedProductRepository({
    inner: repository,
    redis,
    logger,
    options: {
      negativeTtlSeconds: 7,
      nearTtlMs: 0,
    },
  })
  const id = crypto.randomUUID()
  expect((await cached.getProduct(id)).value).toBeNull()
  const again = await cached.getProduct(id)
  expect(again).toEqual({ value: null, source: 'cache' })
  expect(counter.reads).toBe(1)
  expect(await redis.ttl(productCacheKey(id))).toBeLessThanOrEqual(7)
})

test('with Redis down, reads fall back to Postgres, and say so in logs and a counter', async () => {
  const product = await seed()
  const cached = new CachedProductRepository({
    inner: new RdbProductRepository({ sql }),
    redis: deadRedis,
    logger,
  })
  const read = await cached.getProduct(product.id)
  expect(read.value?.id).toBe(product.id)
  expect(cached.stats().fallbacks).toBeGreaterThanOrEqual(1)
  expect(
    logger.lines.some((line) => line.msg === 'product cache unavailable, using the database'),
  ).toBe(true)
  // Writes still work: the database is the source of truth.
  expect((await cached.updateProduct(product.id, { price: 1 }))?.price).toBe(1)
})

test("the near-cache answers repeated reads in-process and lets another instance's update through within its TTL", async () => {
  const product = await seed()
  const { repository, counter } = countingRdb()
  const reader = new CachedProductRepository({
    inner: repository,
    redis,
    logger,
    options: { nearTtlMs: 100 },
  })
  const writer = new CachedProductRepository({
    inner: new RdbProductRepository({ sql }),
    redis,
    logger,
  })
  await reader.getProduct(product.id)
  for (let i = 0; i < 50; i += 1) await reader.getProduct(product.id)
  expect(reader.stats()).toMatchObject({ nearHits: 50, hits: 0, loads: 1 })
  await writer.updateProduct(product.id, { price: 777 })
  await Bun.sleep(120)
  expect((await reader.getProduct(product.id)).value?.price).toBe(777)
  expect(counter.reads).toBe(2)
})

test('a stale write-back racing an update is removed by the second invalidation', async () => {
  const product = await seed()
  const rdb = new RdbProductRepository({ sql })
  // A reader that fetched the row before the update and writes it back after the first delete.
  const slowReader = new (class extends RdbProductRepository {
    override async getProduct(id: string) {
      const read = await super.getProduct(id)
      await Bun.sleep(150)
      return read
    }
  })({ sql })
  const reader = new CachedProductRepository({
    inner: slowReader,
    redis,
    logger,
    options: {
      nearTtlMs: 0,
      secondInvalidationMs: 0,
    },
  })
  const writer = new CachedProductRepository({
    inner: rdb,
    redis,
    logger,
    options: {
      nearTtlMs: 0,
      secondInvalidationMs: 300,
    },
  })
  const staleRead = reader.getProduct(product.id)
  await Bun.sleep(30)
  await writer.updateProduct(product.id, { price: 4242 })
  await staleRead
  expect(JSON.parse((await redis.get(productCacheKey(product.id))) ?? '{}').price).toBe(
    product.price,
  )
  await Bun.sleep(350)
  expect((await reader.getProduct(product.id)).value?.price).toBe(4242)
})

test('the cache counters are reported as flash_deal.product.cache.reads by result', async () => {
  const product = await seed()
  const metrics = recordingMetrics('product')
  const cached = new CachedProductRepository({
    inner: new RdbProductRepository({ sql }),
    redis,
    logger,
    options: {
      nearTtlMs: 0,
    },
  })
  observeCacheStats(metrics.telemetry.meter, cached.stats)
  const reads = (result: string) => metrics.value('flash_deal.product.cache.reads', { result })
  await cached.getProduct(product.id)
  await cached.getProduct(product.id)
  await cached.getProduct(product.id)
  expect(await reads('miss')).toBe(1)
  expect(await reads('hit')).toBe(2)
  expect(await reads('fallback')).toBe(0)
})
