import { connect } from '@flash-deal/db'
import { createLogger, createTelemetry, loadConfigOrExit, serve } from '@flash-deal/kit'
import { createTokenVerifier, remoteJwks } from '@flash-deal/kit/jwt'
import { createKafka, kafkaProbe, parseBrokers } from '@flash-deal/kit/kafka'
import { closeRedis, createRedis } from '@flash-deal/kit/redis'
import { createApp } from './app'
import { OrderConfig } from './config'
import { createReconciler } from './reconciler/reconciler'

const config = loadConfigOrExit('order', OrderConfig)
const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'order' } })
const telemetry = createTelemetry({ serviceName: 'order', logger })
const sql = connect(config.DATABASE_URL, { applicationName: 'order' })
const redis = createRedis(config.REDIS_URL, logger)
const kafka = createKafka({
  clientId: 'order',
  brokers: parseBrokers(config.KAFKA_BROKERS),
  logger,
})
const kafkaReady = kafkaProbe(kafka)
const reconciler = createReconciler({
  sql,
  redis,
  kafka,
  logger,
  consumerGroup: config.CONSUMER_GROUP,
  graceSeconds: config.RECONCILE_GRACE_SECONDS,
  telemetry,
})
if (config.RECONCILE_INTERVAL_MS > 0) reconciler.start(config.RECONCILE_INTERVAL_MS)

serve(
  createApp({
    telemetry,
    sql,
    redis,
    kafkaReady: kafkaReady.check,
    logger,
    reconciler,
    verifier: createTokenVerifier({
      keys: remoteJwks(config.JWKS_URL),
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    }),
    maxBodyBytes: config.MAX_BODY_BYTES,
  }),
  {
    config,
    logger,
    telemetry,
    close: [
      { name: 'reconciler', close: () => reconciler.stop() },
      { name: 'kafka admin', close: kafkaReady.close },
      { name: 'postgres', close: () => sql.end({ timeout: 5 }) },
      { name: 'redis', close: () => closeRedis(redis) },
    ],
  },
)
