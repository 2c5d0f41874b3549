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
 */
import type { Logger } from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'
import type { Product, ProductRepository, Read } from './base'

export interface CacheOptions {
  ttlSeconds: number
  /** Up to this fraction of the TTL is added at random. */
  jitterRatio: number
  negativeTtlSeconds: number
}

export interface CacheStats {
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
  options: CacheOptions = { ttlSeconds: 300, jitterRatio: 0.1, negativeTtlSeconds: 15 },
): CachedProductRepository {
  const stats: CacheStats = { hits: 0, misses: 0, loads: 0, fallbacks: 0 }
  const inFlight = new Map<string, Promise<Read<Product>>>()

  const ttl = () => Math.round(options.ttlSeconds * (1 + Math.random() * options.jitterRatio))

  const fallback = (operation: string, error: unknown) => {
    stats.fallbacks += 1
    logger.warn('product cache unavailable, using the database', {
      operation,
      error: (error as Error).message,
    })
  }

  const load = (id: string): Promise<Read<Product>> => {
    const pending = inFlight.get(id)
    if (pending) return pending
    const loading = (async () => {
      stats.loads += 1
      const read = await inner.getProduct(id)
      try {
        await (read.value
          ? redis.set(productCacheKey(id), JSON.stringify(read.value), 'EX', ttl())
          : redis.set(productCacheKey(id), NONE, 'EX', options.negativeTtlSeconds))
      } catch (error) {
        fallback('write-back', error)
      }
      return { value: read.value, source: 'database' as const }
    })().finally(() => inFlight.delete(id))
    inFlight.set(id, loading)
    return loading
  }

  const invalidate = async (id: string) => {
    try {
      await redis.del(productCacheKey(id))
    } catch (error) {
      // The entry expires on its own; log loudly because until then readers see the old value.
      logger.error('product cache invalidation failed; the entry will expire by TTL', { id, error })
    }
  }

  return {
    async getProduct(id) {
      let cached: string | null
      try {
        cached = await redis.get(productCacheKey(id))
      } catch (error) {
        fallback('read', error)
        return inner.getProduct(id)
      }
      if (cached === null) {
        stats.misses += 1
        return load(id)
      }
      stats.hits += 1
      return { value: cached === NONE ? null : revive(cached), source: 'cache' }
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

function revive(json: string): Product {
  const product = JSON.parse(json) as Product
  return {
    ...product,
    createdAt: new Date(product.createdAt),
    updatedAt: new Date(product.updatedAt),
  }
}
