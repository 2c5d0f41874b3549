import { baseConfig, databaseUrl, kafkaBrokers, loadConfig, port } from '@flash-deal/kit'
import { type Static, Type as T } from '@sinclair/typebox'

/** The consumer group applying `orders.accepted`; the reconciler reads the same group's lag. */
export const consumerGroup = T.String({ minLength: 1, default: 'order-consumer' })

export const ConsumerConfig = T.Object({
  ...baseConfig,
  /** Health endpoints only (`/health/live`, `/health/ready`). */
  PORT: port(8085),
  DATABASE_URL: databaseUrl,
  KAFKA_BROKERS: kafkaBrokers,
  CONSUMER_GROUP: consumerGroup,
  /** A crashed consumer's partitions move to the others after this long (broker minimum 6 s). */
  CONSUMER_SESSION_TIMEOUT_MS: T.Integer({ minimum: 6000, default: 30_000 }),
  /**
   * The longest a fetch waits for a batch's worth of records (64 KiB): a spike fills the batch
   * at once, so this only delays a trickle's confirmation, and an idle consumer makes two
   * fetches a second instead of twenty.
   */
  CONSUMER_MAX_WAIT_MS: T.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
})
export type ConsumerConfig = Static<typeof ConsumerConfig>

/** The consumer's tuning, as `Consumer` takes it. */
export const consumerSettings = (config: ConsumerConfig) => ({
  groupId: config.CONSUMER_GROUP,
  sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT_MS,
  maxWaitMs: config.CONSUMER_MAX_WAIT_MS,
})
export type ConsumerSettings = ReturnType<typeof consumerSettings>

/** What a consumer built without an environment (the tests) runs with: the schema's defaults. */
export const consumerDefaults: ConsumerSettings = consumerSettings(loadConfig(ConsumerConfig, {}))
