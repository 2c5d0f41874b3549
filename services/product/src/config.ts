import { baseConfig, databaseUrl, port, redisUrl } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

export const ProductConfig = T.Object({
  ...baseConfig,
  PORT: port(8082),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  /** Strategy A: inject the Redis look-aside repository (true) or the plain Postgres one. */
  ENABLE_CACHE: T.Boolean({ default: true }),
})
