import { createLogger, loadConfigOrExit, serve } from '@flash-deal/kit'
import { createTokenVerifier, remoteJwks } from '@flash-deal/kit/jwt'
import { closeRedis, createRedis } from '@flash-deal/kit/redis'
import { createApp } from './app'
import { GatewayConfig } from './config'

const config = loadConfigOrExit('gateway', GatewayConfig)
const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'gateway' } })
const redis = createRedis(config.REDIS_URL, logger)
const timeoutMs = config.UPSTREAM_TIMEOUT_MS

const app = createApp({
  logger,
  maxBodyBytes: config.MAX_BODY_BYTES,
  redisReady: () => redis.ping(),
  verifier: createTokenVerifier({
    keys: remoteJwks(config.JWKS_URL),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  }),
  upstreams: {
    auth: { name: 'auth', baseUrl: config.AUTH_URL, timeoutMs },
    product: { name: 'product', baseUrl: config.PRODUCT_URL, timeoutMs },
    order: { name: 'order', baseUrl: config.ORDER_URL, timeoutMs },
  },
})

serve(app, {
  config,
  logger,
  close: [{ name: 'redis', close: () => closeRedis(redis) }],
})
