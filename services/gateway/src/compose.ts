import type { Logger, Telemetry } from '@flash-deal/kit'
import { createTokenVerifier, remoteJwks } from '@flash-deal/kit/jwt'
import { createApp, type GatewayDeps } from './app'
import type { GatewayConfigValues } from './config'
import { createPurchase } from './purchase'
import type { RedisPort } from './redis/port'

/** What differs between the runtimes the gateway runs on (Bun: main.ts, workerd: worker.ts). */
export interface GatewayRuntime {
  logger: Logger
  telemetry?: Telemetry
  redis: RedisPort
  clientAddress?: GatewayDeps['clientAddress']
  adapter?: GatewayDeps['adapter']
}

/**
 * The gateway's object graph from its config, shared by both entry points so the Bun gateway
 * and the Worker are one app: same routes, proxy, purchase path and limits.
 */
export async function composeGateway(config: GatewayConfigValues, runtime: GatewayRuntime) {
  const { logger, telemetry, redis } = runtime
  const timeoutMs = config.UPSTREAM_TIMEOUT_MS
  return createApp({
    telemetry,
    logger,
    adapter: runtime.adapter,
    clientAddress: runtime.clientAddress,
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
}
