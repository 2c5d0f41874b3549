import { queries, type Sql, tracedQueries } from '@flash-deal/db'
import { createServiceApp, type Logger, type Telemetry } from '@flash-deal/kit'
import type { InternalTokenVerifier } from '@flash-deal/kit/internal-auth'
import type { TokenVerifier } from '@flash-deal/kit/jwt'
import type { Redis } from '@flash-deal/kit/redis'
import { dealsController } from './deals/controller'
import { DealService } from './deals/service'
import { productsController } from './products/controller'
import type { ProductRepository } from './repository/base'
import { type CacheStats, CacheStatsView } from './repository/cache-stats'

export interface ProductDeps {
  sql: Sql
  redis: Redis
  logger: Logger
  /** rdb or cached(rdb): chosen by main.ts, unknown to everything here. */
  products: ProductRepository
  verifier: TokenVerifier
  /** Verifies the gateway's X-Internal-Token: only the gateway may call `/v1/*`. */
  internalAuth: InternalTokenVerifier
  /** Counters of the cache strategy, when it is the one injected. */
  cacheStats?: () => CacheStats
  maxBodyBytes?: number
  /** Tracing (a server span per request); off when absent. */
  telemetry?: Telemetry
}

/** The product service's HTTP surface, built from injected clients; it never listens itself. */
export function createApp({
  sql,
  redis,
  logger,
  products,
  verifier,
  internalAuth: internalTokens,
  cacheStats,
  maxBodyBytes,
  telemetry,
}: ProductDeps) {
  return createServiceApp({
    name: 'product',
    version: '1.0.0',
    description: 'Products and flash deals; reads go through the ProductRepository strategy.',
    logger,
    maxBodyBytes,
    telemetry,
    internalAuth: internalTokens,
    readiness: {
      postgres: () => queries.ping(sql),
      redis: () => redis.ping(),
    },
  })
    .get(
      '/metrics/cache',
      () => ({ enabled: cacheStats !== undefined, ...(cacheStats?.() ?? {}) }),
      {
        response: { 200: CacheStatsView },
        detail: {
          tags: ['health'],
          summary: 'Product cache hits, misses, loads and Redis fallbacks',
        },
      },
    )
    .use(productsController(products, verifier))
    .use(
      dealsController(
        new DealService({
          sql,
          redis,
          logger,
          queriesFor: tracedQueries(telemetry, { databaseName: sql.options.database }),
        }),
        verifier,
      ),
    )
}
