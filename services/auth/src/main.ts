import { connect } from '@flash-deal/db'
import { createLogger, createTelemetry, loadConfigOrExit, serve } from '@flash-deal/kit'
import { internalTokenVerifier } from '@flash-deal/kit/internal-auth'
import { closeRedis, createRedis, revokedSessionsOn } from '@flash-deal/kit/redis'
import { createApp } from './app'
import { AuthConfig } from './config'
import { loadSigningKeys } from './keys/key-store'

const config = loadConfigOrExit('auth', AuthConfig)
const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'auth' } })
const telemetry = createTelemetry({ serviceName: 'auth', logger })
const keys = await loadSigningKeys(config)
const sql = connect(config.DATABASE_URL, { applicationName: 'auth' })
const redis = createRedis(config.REDIS_URL, logger, config.REDIS_CLUSTER_NODES)
logger.info('signing keys loaded', {
  kid: keys.kid,
  published: keys.jwks.keys.map((key) => key.kid),
})

const revoked = revokedSessionsOn(redis, config.REVOCATION_REFRESH_MS, logger).start()

const app = createApp({
  internalAuth: internalTokenVerifier(config.INTERNAL_AUTH_SECRET, 'auth'),
  revoked,
  telemetry,
  sql,
  redis,
  logger,
  keys,
  maxBodyBytes: config.MAX_BODY_BYTES,
  tokens: {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
  },
  throttle: {
    maxFailuresPerAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
    maxUntrustedFailuresPerAccount: config.LOGIN_MAX_UNTRUSTED_FAILURES_PER_ACCOUNT,
    maxFailuresPerAddress: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
    windowSeconds: config.LOGIN_LOCKOUT_SECONDS,
    knownAddressDays: config.LOGIN_KNOWN_ADDRESS_DAYS,
  },
  hashing: {
    concurrency: config.PASSWORD_HASH_CONCURRENCY,
    queueLimit: config.PASSWORD_HASH_QUEUE,
    maxWaitMs: config.PASSWORD_HASH_MAX_WAIT_MS,
  },
})

serve(app, {
  config,
  logger,
  telemetry,
  close: [
    { name: 'revoked sessions', close: async () => revoked.stop() },
    { name: 'postgres', close: () => sql.end({ timeout: 5 }) },
    { name: 'redis', close: () => closeRedis(redis) },
  ],
})
