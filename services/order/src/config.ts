import { baseConfig, databaseUrl, kafkaBrokers, port, redisUrl } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

export const OrderConfig = T.Object({
  ...baseConfig,
  PORT: port(8083),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  KAFKA_BROKERS: kafkaBrokers,
})
