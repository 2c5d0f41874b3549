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
import { ConsumerConfig, consumerSettings } from './config'
import { Consumer } from './consumer'

const service = 'order-consumer'
const config = loadConfigOrExit(service, ConsumerConfig)
const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service } })
const telemetry = createTelemetry({ serviceName: service, logger })
// Room for one batch transaction plus the readiness probe.
const sql = connect(config.DATABASE_URL, { applicationName: service, max: 4 })
const kafka = createKafka({
  clientId: service,
  brokers: parseBrokers(config.KAFKA_BROKERS),
  logger,
})
const kafkaReady = kafkaProbe(kafka)
const orders = new Consumer({
  kafka,
  sql,
  logger,
  ...consumerSettings(config),
  telemetry,
  databaseName: new URL(config.DATABASE_URL).pathname.slice(1) || undefined,
})

const app = createServiceApp({
  name: service,
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
