/** The order consumer process: Kafka `orders.accepted` → Postgres, one transaction per batch. */
import { connect, queries } from '@flash-deal/db'
import {
  createLogger,
  createServiceApp,
  createTelemetry,
  loadConfigOrExit,
  serve,
} from '@flash-deal/kit'
import { createKafka, kafkaProbe, parseBrokers } from '@flash-deal/kit/kafka'
import { ConsumerConfig } from './config'
import { createOrderConsumer } from './consumer'

const config = loadConfigOrExit('order-consumer', ConsumerConfig)
const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'order-consumer' } })
const telemetry = createTelemetry({ serviceName: 'order-consumer', logger })
// Room for one batch transaction plus the readiness probe.
const sql = connect(config.DATABASE_URL, { applicationName: 'order-consumer', max: 4 })
const kafka = createKafka({
  clientId: 'order-consumer',
  brokers: parseBrokers(config.KAFKA_BROKERS),
  logger,
})
const kafkaReady = kafkaProbe(kafka)
const orders = createOrderConsumer({
  kafka,
  sql,
  logger,
  groupId: config.CONSUMER_GROUP,
  sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT_MS,
  maxWaitMs: config.CONSUMER_MAX_WAIT_MS,
  telemetry,
  databaseName: new URL(config.DATABASE_URL).pathname.slice(1) || undefined,
})

const app = createServiceApp({
  name: 'order-consumer',
  version: '1.0.0',
  description: 'The order consumer: applies accepted orders from Kafka to Postgres.',
  logger,
  telemetry,
  readiness: {
    postgres: () => queries.ping(sql),
    kafka: kafkaReady.check,
  },
})

await orders.start()
logger.info('consumer started', { group: config.CONSUMER_GROUP })

serve(app, {
  config,
  logger,
  telemetry,
  close: [
    { name: 'kafka consumer', close: () => orders.stop() },
    { name: 'kafka admin', close: kafkaReady.close },
    { name: 'postgres', close: () => sql.end({ timeout: 5 }) },
  ],
})
