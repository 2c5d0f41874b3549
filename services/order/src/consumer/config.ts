import { baseConfig, databaseUrl, kafkaBrokers, port } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

export const ConsumerConfig = T.Object({
  ...baseConfig,
  /** Health endpoints only (`/health/live`, `/health/ready`). */
  PORT: port(8085),
  DATABASE_URL: databaseUrl,
  KAFKA_BROKERS: kafkaBrokers,
  CONSUMER_GROUP: T.String({ minLength: 1, default: 'order-consumer' }),
  /** A crashed consumer's partitions move to the others after this long (broker minimum 6 s). */
  CONSUMER_SESSION_TIMEOUT_MS: T.Integer({ minimum: 6000, default: 30_000 }),
  /** The longest a fetch waits for a batch's worth of records (a trickle's extra latency). */
  CONSUMER_MAX_WAIT_MS: T.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
})
