import type { Sql } from '@flash-deal/db'
import type { Logger } from '@flash-deal/kit'
import type { Kafka } from '@flash-deal/kit/kafka'
import type { Redis } from '@flash-deal/kit/redis'
import { Partitioners } from 'kafkajs'
import { SandboxPaymentProvider } from '../payments/sandbox-provider'
import { ExpiryJob } from './expiry'
import { Releaser } from './release'
import { ReleasePublisher } from './release-events'
import { ReleaseSweeper } from './sweeper'
import type { CheckoutDeps } from './wiring'

interface CheckoutSettings {
  PAYMENT_PROVIDER_URL: string
  PAYMENT_API_KEY: string
  PAYMENT_WEBHOOK_SECRET: string
  PAYMENT_PROVIDER_TIMEOUT_MS: number
  PAYMENT_WEBHOOK_TOLERANCE_SECONDS: number
  EXPIRY_INTERVAL_MS: number
  RELEASE_SWEEP_INTERVAL_MS: number
  RELEASE_PUBLISH_INTERVAL_MS: number
  PAYMENT_ARRIVAL_WAIT_MS: number
}

/** The release outbox's way to Kafka: its own idempotent producer, connected before a send. */
function releasePublisher(clients: { sql: Sql; kafka: Kafka; logger: Logger }, intervalMs: number) {
  const producer = clients.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // murmur2, as the Java client: one deal's releases on one partition, in order.
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  // Kafka may be down at start: the releases wait in Postgres; kafkajs reconnects on a send.
  producer.connect().catch((error) => clients.logger.warn('kafka not reachable yet', { error }))
  const publisher = new ReleasePublisher({ ...clients, producer, intervalMs }).start()
  return {
    async stop() {
      await publisher.stop()
      await producer.disconnect()
    },
  }
}

/**
 * Checkout's part of the order service's composition root: the provider adapter (a Stripe
 * adapter would be chosen here), the releaser, and the expiry job, release sweeper and release
 * publisher, which run in every order instance (SKIP LOCKED lets them share).
 */
export function startCheckout(
  config: CheckoutSettings,
  clients: { sql: Sql; redis: Redis; kafka: Kafka; logger: Logger },
) {
  const releaser = new Releaser(clients)
  const expiry =
    config.EXPIRY_INTERVAL_MS > 0
      ? new ExpiryJob({ ...clients, releaser, intervalMs: config.EXPIRY_INTERVAL_MS }).start()
      : null
  const sweeper =
    config.RELEASE_SWEEP_INTERVAL_MS > 0
      ? new ReleaseSweeper({
          ...clients,
          releaser,
          intervalMs: config.RELEASE_SWEEP_INTERVAL_MS,
        }).start()
      : null
  const publisher =
    config.RELEASE_PUBLISH_INTERVAL_MS > 0
      ? releasePublisher(clients, config.RELEASE_PUBLISH_INTERVAL_MS)
      : null
  const deps: CheckoutDeps = {
    releaser,
    provider: new SandboxPaymentProvider({
      baseUrl: config.PAYMENT_PROVIDER_URL,
      apiKey: config.PAYMENT_API_KEY,
      timeoutMs: config.PAYMENT_PROVIDER_TIMEOUT_MS,
      webhookSecrets: config.PAYMENT_WEBHOOK_SECRET,
      webhookToleranceSeconds: config.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
    }),
    arrivalWaitMs: config.PAYMENT_ARRIVAL_WAIT_MS,
  }
  return {
    deps,
    async stop() {
      await Promise.all([expiry?.stop(), sweeper?.stop(), publisher?.stop()])
    },
  }
}
