/**
 * The cached strategy: a Redis look-aside cache in front of any ProductRepository.
 *
 * - Hit: the product comes from Redis. Miss: it is read through the inner repository and
 *   written back with a TTL plus jitter, so keys written together do not expire together.
 * - A missing product is cached too (a short-lived "none" marker), so a flood of requests for
 *   an id that does not exist does not reach Postgres.
 * - Single-flight: concurrent misses of one key share one database read.
 * - Every write invalidates the key after the database has committed.
 * - If Redis fails, reads fall back to the inner repository (logged and counted): the cache
 *   makes reads faster, it must never make them fail.
 * - In front of Redis sits a tiny in-process near-cache with a one-second TTL. During a flash
 *   sale one product is read by everyone at once, and that one Redis key would otherwise take
 *   every request (the hot-key problem). A write clears both levels on this instance; another
 *   instance may serve the previous value for at most `nearTtlMs`.
 */
import {
  type Logger,
  type Meter,
  type Telemetry,
  telemetryOff,
  withRedisSpan,
} from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'
import type { Product, ProductRepository, Read } from './base'

export interface CacheOptions {
  ttlSeconds: number
  /** Up to this fraction of the TTL is added at random. */
  jitterRatio: number
  negativeTtlSeconds: number
  /** Lifetime of the in-process near-cache entries; 0 turns the near-cache off. */
  nearTtlMs: number
  nearMaxEntries: number
  /** A write deletes the key again after this long; 0 turns the second delete off. */
  secondInvalidationMs: number
}

export const defaultCacheOptions: CacheOptions = {
  ttlSeconds: 300,
  jitterRatio: 0.1,
  negativeTtlSeconds: 15,
  nearTtlMs: 1000,
  nearMaxEntries: 10_000,
  secondInvalidationMs: 500,
}

export interface CacheStats {
  /** Answered from the in-process near-cache. */
  nearHits: number
  /** Answered from Redis. */
  hits: number
  misses: number
  /** Database reads made on a miss (single-flight makes this lower than misses). */
  loads: number
  /** Reads served by the database because Redis failed. */
  fallbacks: number
}

const NONE = '\u0000none'
export const productCacheKey = (id: string) => `product:{${id}}`

export interface CachedProductRepository extends ProductRepository {
  stats(): CacheStats
}

export function cachedProductRepository(
  inner: ProductRepository,
  redis: Redis,
  logger: Logger,
  overrides: Partial<CacheOptions> = {},
  telemetry: Telemetry = telemetryOff('product'),
): CachedProductRepository {
  const options = { ...defaultCacheOptions, ...overrides }
  const stats: CacheStats = { nearHits: 0, hits: 0, misses: 0, loads: 0, fallbacks: 0 }
  const inFlight = new Map<string, Promise<Read<Product>>>()
  const near = new Map<string, { value: Product | null; expiresAt: number }>()

  const remember = (id: string, value: Product | null) => {
    if (options.nearTtlMs <= 0) return
    if (near.size >= options.nearMaxEntries) {
      const oldest = near.keys().next().value
      if (oldest !== undefined) near.delete(oldest)
    }
    near.set(id, { value, expiresAt: performance.now() + options.nearTtlMs })
  }

  const ttl = () => Math.round(options.ttlSeconds * (1 + Math.random() * options.jitterRatio))

  const fallback = (operation: string, error: unknown) => {
    stats.fallbacks += 1
    logger.warn('product cache unavailable, using the database', {
      operation,
      error: (error as Error).message,
    })
  }

  // One load serves every concurrent miss of an id: its statement span is the first miss's.
  const load = (id: string): Promise<Read<Product>> => {
    const pending = inFlight.get(id)
    if (pending) return pending
    const loading = (async () => {
      stats.loads += 1
      const read = await inner.getProduct(id)
      try {
        await withRedisSpan(telemetry, 'SET', () =>
          read.value
            ? redis.set(productCacheKey(id), JSON.stringify(read.value), 'EX', ttl())
            : redis.set(productCacheKey(id), NONE, 'EX', options.negativeTtlSeconds),
        )
      } catch (error) {
        fallback('write-back', error)
      }
      remember(id, read.value)
      return { value: read.value, source: 'database' as const }
    })().finally(() => inFlight.delete(id))
    inFlight.set(id, loading)
    return loading
  }

  const deleteKey = async (id: string) => {
    try {
      await redis.del(productCacheKey(id))
    } catch (error) {
      // The entry expires on its own; log loudly because until then readers see the old value.
      logger.error('product cache invalidation failed; the entry will expire by TTL', { id, error })
    }
  }

  const invalidate = async (id: string) => {
    near.delete(id)
    await deleteKey(id)
    // A miss on another instance may have read the row just before this write and write it back
    // just after the delete above; deleting again shortly after bounds that stale window.
    if (options.secondInvalidationMs > 0) {
      setTimeout(() => {
        near.delete(id)
        void deleteKey(id)
      }, options.secondInvalidationMs).unref?.()
    }
  }

  return {
    async getProduct(id) {
      const local = near.get(id)
      if (local && local.expiresAt > performance.now()) {
        stats.nearHits += 1
        return { value: local.value, source: 'cache' }
      }
      let cached: string | null
      try {
        cached = await withRedisSpan(telemetry, 'GET', () => redis.get(productCacheKey(id)))
      } catch (error) {
        fallback('read', error)
        return inner.getProduct(id)
      }
      if (cached === null) {
        stats.misses += 1
        return load(id)
      }
      stats.hits += 1
      const value = cached === NONE ? null : revive(cached)
      remember(id, value)
      return { value, source: 'cache' }
    },
    listProducts: (page) => inner.listProducts(page),
    async createProduct(input) {
      const product = await inner.createProduct(input)
      await invalidate(product.id)
      return product
    },
    async updateProduct(id, patch) {
      const product = await inner.updateProduct(id, patch)
      await invalidate(id)
      return product
    },
    stats: () => ({ ...stats }),
  }
}

/**
 * The cache's counters as the observable counter `flash_deal.product.cache.reads`, by `result`
 * (near_hit, hit, miss, fallback: Redis failed and the database answered). Read when metrics are
 * collected: the read path keeps its plain increments.
 */
export function observeCacheStats(meter: Meter, stats: () => CacheStats) {
  meter
    .createObservableCounter('flash_deal.product.cache.reads', {
      description: 'Product reads through the cache, by where the answer came from',
      unit: '{read}',
    })
    .addCallback((result) => {
      const now = stats()
      result.observe(now.nearHits, { result: 'near_hit' })
      result.observe(now.hits, { result: 'hit' })
      result.observe(now.misses, { result: 'miss' })
      result.observe(now.fallbacks, { result: 'fallback' })
    })
}

function revive(json: string): Product {
  const product = JSON.parse(json) as Product
  return {
    ...product,
    createdAt: new Date(product.createdAt),
    updatedAt: new Date(product.updatedAt),
  }
}
