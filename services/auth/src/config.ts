import { baseConfig, databaseUrl, port, redisUrl } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

export const AuthConfig = T.Object({
  ...baseConfig,
  PORT: port(8081),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
})
