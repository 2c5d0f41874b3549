import { baseConfig, databaseUrl, httpUrl, port, redisUrl } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

export const ProductConfig = T.Object({
  ...baseConfig,
  PORT: port(8082),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  /** Strategy A: inject the Redis look-aside repository (true) or the plain Postgres one. */
  ENABLE_CACHE: T.Boolean({ default: true }),
  PRODUCT_CACHE_TTL_SECONDS: T.Integer({ minimum: 1, default: 300 }),
  /** How long "this product does not exist" is remembered. */
  PRODUCT_CACHE_NEGATIVE_TTL_SECONDS: T.Integer({ minimum: 1, default: 15 }),
  JWKS_URL: httpUrl('http://127.0.0.1:8081/.well-known/jwks.json'),
  JWT_ISSUER: T.String({ minLength: 1, default: 'flash-deal-auth' }),
  JWT_AUDIENCE: T.String({ minLength: 1, default: 'flash-deal' }),
})
