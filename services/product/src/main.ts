import { connect, tracedQueries } from '@flash-deal/db'
import { createLogger, createTelemetry, loadConfigOrExit, serve } from '@flash-deal/kit'
import { internalTokenVerifier } from '@flash-deal/kit/internal-auth'
import { createTokenVerifier, remoteJwks } from '@flash-deal/kit/jwt'
import { closeRedis, createRedis, revokedSessionsOn } from '@flash-deal/kit/redis'
import { createApp } from './app'
import { ProductConfig } from './config'
import { observeCacheStats } from './repository/cache-stats'
import { CachedProductRepository } from './repository/cached'
import { RdbProductRepository } from './repository/rdb'

const config = loadConfigOrExit('product', ProductConfig)
const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'product' } })
const telemetry = createTelemetry({ serviceName: 'product', logger })
const sql = connect(config.DATABASE_URL, { applicationName: 'product' })
const redis = createRedis(config.REDIS_URL, logger, config.REDIS_CLUSTER_NODES)

// Strategy A: the one place that knows whether reads are cached.
const rdb = new RdbProductRepository({
  sql,
  queriesFor: tracedQueries(telemetry, { databaseName: sql.options.database }),
})
const cached = config.ENABLE_CACHE
  ? new CachedProductRepository({
      inner: rdb,
      redis,
      logger,
      options: {
        ttlSeconds: config.PRODUCT_CACHE_TTL_SECONDS,
        negativeTtlSeconds: config.PRODUCT_CACHE_NEGATIVE_TTL_SECONDS,
        nearTtlMs: config.PRODUCT_NEAR_CACHE_TTL_MS,
      },
      telemetry,
    })
  : undefined
logger.info('product repository', { strategy: cached ? 'cached(rdb)' : 'rdb' })
if (cached) observeCacheStats(telemetry.meter, cached.stats)

const revoked = revokedSessionsOn(redis, config.REVOCATION_REFRESH_MS, logger).start()

const app = createApp({
  internalAuth: internalTokenVerifier(config.INTERNAL_AUTH_SECRET, 'product'),
  telemetry,
  sql,
  redis,
  logger,
  products: cached ?? rdb,
  cacheStats: cached?.stats,
  verifier: createTokenVerifier({
    keys: remoteJwks(config.JWKS_URL),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    revoked,
  }),
  maxBodyBytes: config.MAX_BODY_BYTES,
})

serve(app, {
  config,
  logger,
  telemetry,
  close: [
    { name: 'revoked sessions', close: async () => revoked.stop() },
    { name: 'postgres', close: () => sql.end({ timeout: 5 }) },
    { name: 'redis', close: () => closeRedis(redis) },
  ],
})
