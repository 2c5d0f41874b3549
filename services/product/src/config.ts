import {
  baseConfig,
  databaseUrl,
  httpUrl,
  internalAuthSecret,
  port,
  redisClusterNodes,
  redisUrl,
  revocationRefreshMs,
} from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

export const ProductConfig = T.Object({
  ...baseConfig,
  INTERNAL_AUTH_SECRET: internalAuthSecret,
  REVOCATION_REFRESH_MS: revocationRefreshMs,
  PORT: port(8082),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  REDIS_CLUSTER_NODES: redisClusterNodes,
  /** Strategy A: inject the Redis look-aside repository (true) or the plain Postgres one. */
  ENABLE_CACHE: T.Boolean({ default: true }),
  PRODUCT_CACHE_TTL_SECONDS: T.Integer({ minimum: 1, default: 300 }),
  /** How long "this product does not exist" is remembered. */
  PRODUCT_CACHE_NEGATIVE_TTL_SECONDS: T.Integer({ minimum: 1, default: 15 }),
  /** In-process near-cache in front of Redis (the hot-key guard); 0 turns it off. */
  PRODUCT_NEAR_CACHE_TTL_MS: T.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
  JWKS_URL: httpUrl('http://127.0.0.1:8081/.well-known/jwks.json'),
  JWT_ISSUER: T.String({ minLength: 1, default: 'flash-deal-auth' }),
  JWT_AUDIENCE: T.String({ minLength: 1, default: 'flash-deal' }),
})
