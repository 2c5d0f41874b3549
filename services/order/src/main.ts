import { connect } from '@flash-deal/db'
import { createLogger, createTelemetry, loadConfigOrExit, serve } from '@flash-deal/kit'
import { internalTokenVerifier } from '@flash-deal/kit/internal-auth'
import { createTokenVerifier, remoteJwks } from '@flash-deal/kit/jwt'
import { createKafka, kafkaProbe, parseBrokers } from '@flash-deal/kit/kafka'
import { closeRedis, createRedis, revokedSessionsOn } from '@flash-deal/kit/redis'
import { createApp } from './app'
import { startCheckout } from './checkout/main'
import { OrderConfig, reconcilerSettings } from './config'
import { Reconciler } from './reconciler/reconciler'

const config = loadConfigOrExit('order', OrderConfig)
const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'order' } })
const telemetry = createTelemetry({ serviceName: 'order', logger })
const sql = connect(config.DATABASE_URL, { applicationName: 'order' })
const redis = createRedis(config.REDIS_URL, logger, config.REDIS_CLUSTER_NODES)
const kafka = createKafka({
  clientId: 'order',
  brokers: parseBrokers(config.KAFKA_BROKERS),
  logger,
})
const kafkaReady = kafkaProbe(kafka)
const reconciler = new Reconciler({
  sql,
  redis,
  kafka,
  logger,
  ...reconcilerSettings(config),
  telemetry,
})
const revoked = revokedSessionsOn(redis, config.REVOCATION_REFRESH_MS, logger).start()
logger.info('purchase route', { orderMode: config.ORDER_MODE })
if (config.RECONCILE_INTERVAL_MS > 0) reconciler.start(config.RECONCILE_INTERVAL_MS)
const checkout = startCheckout(config, { sql, redis, kafka, logger })

serve(
  createApp({
    telemetry,
    sql,
    redis,
    kafkaReady: kafkaReady.check,
    logger,
    reconciler,
    mode: config.ORDER_MODE,
    internalAuth: internalTokenVerifier(config.INTERNAL_AUTH_SECRET, 'order'),
    verifier: createTokenVerifier({
      keys: remoteJwks(config.JWKS_URL),
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      revoked,
    }),
    maxBodyBytes: config.MAX_BODY_BYTES,
    checkout: checkout.deps,
  }),
  {
    config,
    logger,
    telemetry,
    close: [
      { name: 'reconciler', close: () => reconciler.stop() },
      { name: 'checkout jobs', close: () => checkout.stop() },
      { name: 'revoked sessions', close: async () => revoked.stop() },
      { name: 'kafka admin', close: kafkaReady.close },
      { name: 'postgres', close: () => sql.end({ timeout: 5 }) },
      { name: 'redis', close: () => closeRedis(redis) },
    ],
  },
)
