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
import { type Logger, type Telemetry, telemetryOff, withRedisSpan } from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'
import type {
  NewProduct,
  PageRequest,
  Product,
  ProductPatch,
  ProductRepository,
  Read,
} from './base'
import type { CacheStats } from './cache-stats'

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

const NONE = '\u0000none'
export const productCacheKey = (id: string) => `product:{${id}}`

export class CachedProductRepository implements ProductRepository {
  private readonly inner: ProductRepository
  private readonly redis: Redis
  private readonly logger: Logger
  private readonly options: CacheOptions
  private readonly telemetry: Telemetry
  private readonly counts: CacheStats = { nearHits: 0, hits: 0, misses: 0, loads: 0, fallbacks: 0 }
  private readonly inFlight = new Map<string, Promise<Read<Product>>>()
  private readonly near = new Map<string, { value: Product | null; expiresAt: number }>()

  constructor(deps: {
    inner: ProductRepository
    redis: Redis
    logger: Logger
    options?: Partial<CacheOptions>
    telemetry?: Telemetry
  }) {
    this.inner = deps.inner
    this.redis = deps.redis
    this.logger = deps.logger
    this.options = { ...defaultCacheOptions, ...deps.options }
    this.telemetry = deps.telemetry ?? telemetryOff('product')
  }

  async getProduct(id: string): Promise<Read<Product>> {
    const local = this.near.get(id)
    if (local && local.expiresAt > performance.now()) {
      this.counts.nearHits += 1
      return { value: local.value, source: 'cache' }
    }
    let cached: string | null
    try {
      cached = await withRedisSpan(this.telemetry, 'GET', () => this.redis.get(productCacheKey(id)))
    } catch (error) {
      this.fallback('read', error)
      return this.inner.getProduct(id)
    }
    if (cached === null) {
      this.counts.misses += 1
      return this.load(id)
    }
    this.counts.hits += 1
    const value = cached === NONE ? null : revive(cached)
    this.remember(id, value)
    return { value, source: 'cache' }
  }

  listProducts(page: PageRequest) {
    return this.inner.listProducts(page)
  }

  async createProduct(input: NewProduct) {
    const product = await this.inner.createProduct(input)
    await this.invalidate(product.id)
    return product
  }

  async updateProduct(id: string, patch: ProductPatch) {
    const product = await this.inner.updateProduct(id, patch)
    await this.invalidate(id)
    return product
  }

  /** A copy of the counters; bound, so it can be handed on as a function. */
  readonly stats = (): CacheStats => ({ ...this.counts })

  private remember(id: string, value: Product | null) {
    const { nearTtlMs, nearMaxEntries } = this.options
    if (nearTtlMs <= 0) return
    if (this.near.size >= nearMaxEntries) {
      const oldest = this.near.keys().next().value
      if (oldest !== undefined) this.near.delete(oldest)
    }
    this.near.set(id, { value, expiresAt: performance.now() + nearTtlMs })
  }

  private ttl() {
    return Math.round(this.options.ttlSeconds * (1 + Math.random() * this.options.jitterRatio))
  }

  private fallback(operation: string, error: unknown) {
    this.counts.fallbacks += 1
    this.logger.warn('product cache unavailable, using the database', {
      operation,
      error: (error as Error).message,
    })
  }

  // One load serves every concurrent miss of an id: its statement span is the first miss's.
  private load(id: string): Promise<Read<Product>> {
    const pending = this.inFlight.get(id)
    if (pending) return pending
    const loading = this.loadAndWriteBack(id).finally(() => this.inFlight.delete(id))
    this.inFlight.set(id, loading)
    return loading
  }

  private async loadAndWriteBack(id: string): Promise<Read<Product>> {
    this.counts.loads += 1
    const read = await this.inner.getProduct(id)
    try {
      await withRedisSpan(this.telemetry, 'SET', () =>
        read.value
          ? this.redis.set(productCacheKey(id), JSON.stringify(read.value), 'EX', this.ttl())
          : this.redis.set(productCacheKey(id), NONE, 'EX', this.options.negativeTtlSeconds),
      )
    } catch (error) {
      this.fallback('write-back', error)
    }
    this.remember(id, read.value)
    return { value: read.value, source: 'database' }
  }

  private async deleteKey(id: string) {
    try {
      await this.redis.del(productCacheKey(id))
    } catch (error) {
      // The entry expires on its own; log loudly because until then readers see the old value.
      this.logger.error('product cache invalidation failed; the entry will expire by TTL', {
        id,
        error,
      })
    }
  }

  private async invalidate(id: string) {
    this.near.delete(id)
    await this.deleteKey(id)
    // A miss on another instance may have read the row just before this write and write it back
    // just after the delete above; deleting again shortly after bounds that stale window.
    if (this.options.secondInvalidationMs > 0) {
      setTimeout(() => {
        this.near.delete(id)
        void this.deleteKey(id)
      }, this.options.secondInvalidationMs).unref?.()
    }
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
