import { baseConfig, kafkaBrokers, port, redisUrl } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

export const RelayConfig = T.Object({
  ...baseConfig,
  /** Health endpoints only (`/health/live`, `/health/ready`). */
  PORT: port(8084),
  REDIS_URL: redisUrl,
  KAFKA_BROKERS: kafkaBrokers,
  /**
   * This relay's consumer name in the outbox group. Keep it stable across restarts (a restarted
   * relay first finishes what it held); give each running instance its own.
   */
  RELAY_NAME: T.String({ minLength: 1, default: 'relay-1' }),
  RELAY_BATCH_SIZE: T.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  RELAY_BLOCK_MS: T.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
  /** The read's wait once the outboxes have been quiet for a second (an idle relay's rounds). */
  RELAY_IDLE_BLOCK_MS: T.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
  /** Under load, pause after a partial batch so the next one is fuller (fewer, larger Kafka batches). */
  RELAY_LINGER_MS: T.Integer({ minimum: 0, maximum: 1000, default: 100 }),
  RELAY_CLAIM_IDLE_MS: T.Integer({ minimum: 1000, default: 30_000 }),
  /**
   * How long after a deal's end its purchase state stays in Redis (Idempotency-Key retries answer
   * the original order until then). Keep it above the reconciler's RECONCILE_GRACE_SECONDS.
   */
  DEAL_RETENTION_MS: T.Integer({ minimum: 60_000, default: 86_400_000 }),
})
