import { createLogger, createTelemetry, loadConfigOrExit, serve } from '@flash-deal/kit'
import { internalTokenSigner } from '@flash-deal/kit/internal-auth'
import { createTokenVerifier, remoteJwks } from '@flash-deal/kit/jwt'
import { REVOKED_SESSIONS_KEY, revokedSessions } from '@flash-deal/kit/revocation'
import { createApp } from './app'
import { GatewayConfig } from './config'
import { createPurchase } from './purchase'
import { authRateLimiter } from './purchase/rate-limit'
import tokenBucketLua from './purchase/token-bucket.lua' with { type: 'text' }
import { ioredisPort } from './redis/ioredis'
import { luaScript, type RedisPort } from './redis/port'
import { upstashPort } from './redis/upstash'

const config = loadConfigOrExit('gateway', GatewayConfig)
const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'gateway' } })
const telemetry = createTelemetry({ serviceName: 'gateway', logger })
const timeoutMs = config.UPSTREAM_TIMEOUT_MS

function redisPort(): RedisPort {
  if (config.REDIS_DRIVER === 'ioredis') return ioredisPort(config.REDIS_URL, logger)
  if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN) {
    logger.error('REDIS_DRIVER=upstash needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN')
    process.exit(78)
  }
  return upstashPort({ url: config.UPSTASH_REDIS_REST_URL, token: config.UPSTASH_REDIS_REST_TOKEN })
}

const redis = redisPort()
logger.info('purchase path', { orderMode: config.ORDER_MODE, redisDriver: config.REDIS_DRIVER })

// The sessions auth revoked, copied every REVOCATION_REFRESH_MS: no Redis call per request.
const revoked = revokedSessions({
  load: (now) => redis.zrangeByScoreFrom(REVOKED_SESSIONS_KEY, now),
  refreshMs: config.REVOCATION_REFRESH_MS,
  logger,
}).start()

const app = createApp({
  internalTokens: internalTokenSigner(config.INTERNAL_AUTH_SECRET),
  checkAuthRateLimit: authRateLimiter(
    redis,
    await luaScript('token-bucket', tokenBucketLua),
    { perSecond: config.AUTH_RATE_PER_ADDRESS, burst: config.AUTH_BURST_PER_ADDRESS },
    telemetry,
  ),
  telemetry,
  logger,
  maxBodyBytes: config.MAX_BODY_BYTES,
  redisReady: () => redis.ping(),
  verifier: createTokenVerifier({
    keys: remoteJwks(config.JWKS_URL),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    revoked,
  }),
  upstreams: {
    auth: { name: 'auth', baseUrl: config.AUTH_URL, timeoutMs },
    product: { name: 'product', baseUrl: config.PRODUCT_URL, timeoutMs },
    order: { name: 'order', baseUrl: config.ORDER_URL, timeoutMs },
  },
  purchase: await createPurchase({
    port: redis,
    logger,
    telemetry,
    mode: config.ORDER_MODE,
    limits: {
      user: { perSecond: config.PURCHASE_RATE_PER_USER, burst: config.PURCHASE_BURST_PER_USER },
      address: {
        perSecond: config.PURCHASE_RATE_PER_ADDRESS,
        burst: config.PURCHASE_BURST_PER_ADDRESS,
      },
    },
  }),
})

serve(app, {
  config,
  logger,
  telemetry,
  close: [
    { name: 'revoked sessions', close: async () => revoked.stop() },
    { name: 'redis', close: () => redis.close() },
  ],
})
