/** The outbox relay process: Redis outbox streams → Kafka `orders.accepted`. */
import {
  createLogger,
  createServiceApp,
  createTelemetry,
  loadConfigOrExit,
  serve,
} from '@flash-deal/kit'
import { createKafka, parseBrokers } from '@flash-deal/kit/kafka'
import { closeRedis, createRedis } from '@flash-deal/kit/redis'
import { Partitioners } from 'kafkajs'
import { RelayConfig } from './config'
import { createRelay } from './relay'

const config = loadConfigOrExit('order-relay', RelayConfig)
const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'order-relay' } })
const telemetry = createTelemetry({ serviceName: 'order-relay', logger })
const redis = createRedis(config.REDIS_URL, logger)
const kafka = createKafka({
  clientId: `order-relay-${config.RELAY_NAME}`,
  brokers: parseBrokers(config.KAFKA_BROKERS),
  logger,
})
// Idempotent: the broker drops a retried batch it already wrote; it implies acks=all.
const producer = kafka.producer({
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  // Named, not defaulted: kafkajs warns on every start when the partitioner is left implicit.
  // The default (murmur2, as the Java client) keeps one deal's records on one partition.
  createPartitioner: Partitioners.DefaultPartitioner,
})
let producerConnected = false
producer.on(producer.events.CONNECT, () => {
  producerConnected = true
})
producer.on(producer.events.DISCONNECT, () => {
  producerConnected = false
})

const relay = createRelay({
  redis,
  producer,
  logger,
  consumerName: config.RELAY_NAME,
  batchSize: config.RELAY_BATCH_SIZE,
  blockMs: config.RELAY_BLOCK_MS,
  idleBlockMs: config.RELAY_IDLE_BLOCK_MS,
  lingerMs: config.RELAY_LINGER_MS,
  claimIdleMs: config.RELAY_CLAIM_IDLE_MS,
  retentionMs: config.DEAL_RETENTION_MS,
  telemetry,
  beforeSend: async () => {
    if (!producerConnected) await producer.connect()
  },
})

const app = createServiceApp({
  name: 'order-relay',
  version: '1.0.0',
  description: 'The outbox relay: drains the deals’ Redis outbox streams into Kafka.',
  logger,
  telemetry,
  readiness: {
    redis: () => redis.ping(),
    kafka: async () => {
      if (!producerConnected) throw new Error('producer not connected')
    },
  },
})

// Kafka may be down at start: the entries wait in Redis and the relay connects before a send.
producer.connect().catch((error) => logger.warn('kafka not reachable yet', { error }))
relay.start()
logger.info('relay started', { name: config.RELAY_NAME })

serve(app, {
  config,
  logger,
  telemetry,
  close: [
    { name: 'relay loop', close: () => relay.stop() },
    { name: 'kafka producer', close: () => producer.disconnect() },
    { name: 'redis', close: () => closeRedis(redis) },
  ],
})
