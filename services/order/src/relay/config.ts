import {
  baseConfig,
  kafkaBrokers,
  loadConfig,
  port,
  redisClusterNodes,
  redisUrl,
} from '@flash-deal/kit'
import { type Static, Type as T } from '@sinclair/typebox'

export const RelayConfig = T.Object({
  ...baseConfig,
  /** Health endpoints only (`/health/live`, `/health/ready`). */
  PORT: port(8084),
  REDIS_URL: redisUrl,
  REDIS_CLUSTER_NODES: redisClusterNodes,
  KAFKA_BROKERS: kafkaBrokers,
  /**
   * This relay's consumer name in the outbox group. Keep it stable across restarts (a restarted
   * relay first finishes what it held); give each running instance its own.
   */
  RELAY_NAME: T.String({ minLength: 1, default: 'relay-1' }),
  /** Entries read per stream per round. */
  RELAY_BATCH_SIZE: T.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  /** How long one read waits for new entries. */
  RELAY_BLOCK_MS: T.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
  /**
   * The read's wait once the outboxes have been quiet for a second: an idle relay makes one round
   * a second instead of ten (an idle `make dev` costs next to nothing). Entries of deals the
   * relay already reads wake it at once either way; only a deal registered during the wait is
   * picked up when the wait ends.
   */
  RELAY_IDLE_BLOCK_MS: T.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
  /**
   * Under load (a round that moved at least `LINGER_MIN_ENTRIES` but less than a full batch),
   * wait this long before the next read, so entries accumulate into fewer, larger Kafka batches
   * and consumer transactions (Kafka's own `linger.ms`): the drain costs less CPU per order when
   * it competes with the spike. A trickle is sent at once. 0 never waits.
   */
  RELAY_LINGER_MS: T.Integer({ minimum: 0, maximum: 1000, default: 100 }),
  /** Entries another relay left unacknowledged this long are taken over (it is presumed dead). */
  RELAY_CLAIM_IDLE_MS: T.Integer({ minimum: 1000, default: 30_000 }),
  /**
   * How long after a deal's end its purchase state (stock, buyers, idempotency records, outbox,
   * accepted orders) stays in Redis: a retry with the same Idempotency-Key answers the original
   * order until then. Its `info` stays, so a late purchase is still refused as `ended`. Keep it
   * above the reconciler's RECONCILE_GRACE_SECONDS.
   */
  DEAL_RETENTION_MS: T.Integer({ minimum: 60_000, default: 86_400_000 }),
})
export type RelayConfig = Static<typeof RelayConfig>

/** The relay's tuning, as `Relay` takes it (the variables above say what each one does). */
export const relaySettings = (config: RelayConfig) => ({
  consumerName: config.RELAY_NAME,
  batchSize: config.RELAY_BATCH_SIZE,
  blockMs: config.RELAY_BLOCK_MS,
  idleBlockMs: config.RELAY_IDLE_BLOCK_MS,
  lingerMs: config.RELAY_LINGER_MS,
  claimIdleMs: config.RELAY_CLAIM_IDLE_MS,
  retentionMs: config.DEAL_RETENTION_MS,
})
export type RelaySettings = ReturnType<typeof relaySettings>

/** What a relay built without an environment (the tests) runs with: the schema's defaults. */
export const relayDefaults: RelaySettings = relaySettings(loadConfig(RelayConfig, {}))
