import type { Meter } from '@flash-deal/kit'
import { t } from 'elysia'

/** What the cached repository counts (`GET /metrics/cache`, and the metric below). */
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

const count = t.Optional(t.Integer({ minimum: 0 }))

/** `GET /metrics/cache`: whether the cache is on and, when it is, its counters. */
export const CacheStatsView = t.Object(
  {
    enabled: t.Boolean(),
    nearHits: count,
    hits: count,
    misses: count,
    loads: count,
    fallbacks: count,
  },
  { additionalProperties: false },
)

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
