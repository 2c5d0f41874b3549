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
import { RelayConfig, relaySettings } from './config'
import { Relay } from './relay'

const service = 'order-relay'
const config = loadConfigOrExit(service, RelayConfig)
const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service } })
const telemetry = createTelemetry({ serviceName: service, logger })
const redis = createRedis(config.REDIS_URL, logger, config.REDIS_CLUSTER_NODES)
const kafka = createKafka({
  clientId: `${service}-${config.RELAY_NAME}`,
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

const relay = new Relay({
  redis,
  producer,
  logger,
  ...relaySettings(config),
  telemetry,
  beforeSend: async () => {
    if (!producerConnected) await producer.connect()
  },
})

const app = createServiceApp({
  name: service,
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
