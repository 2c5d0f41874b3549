import { baseConfig, databaseUrl, kafkaBrokers, port, redisUrl } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

export const ConsumerConfig = T.Object({
  ...baseConfig,
  /** Health endpoints only (`/health/live`, `/health/ready`). */
  PORT: port(8085),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  KAFKA_BROKERS: kafkaBrokers,
  CONSUMER_GROUP: T.String({ minLength: 1, default: 'order-consumer' }),
})
