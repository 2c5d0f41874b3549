import { baseConfig, databaseUrl, httpUrl, kafkaBrokers, port, redisUrl } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

export const OrderConfig = T.Object({
  ...baseConfig,
  PORT: port(8083),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  KAFKA_BROKERS: kafkaBrokers,
  JWKS_URL: httpUrl('http://127.0.0.1:8081/.well-known/jwks.json'),
  JWT_ISSUER: T.String({ minLength: 1, default: 'flash-deal-auth' }),
  JWT_AUDIENCE: T.String({ minLength: 1, default: 'flash-deal' }),
})
