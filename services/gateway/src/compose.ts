import type { Logger, Telemetry } from '@flash-deal/kit'
import { internalTokenSigner } from '@flash-deal/kit/internal-auth'
import { createTokenVerifier, remoteJwks } from '@flash-deal/kit/jwt'
import {
  REVOKED_SESSIONS_KEY,
  type RevokedSessions,
  revokedSessions,
} from '@flash-deal/kit/revocation'
import { createApp, type GatewayDeps } from './app'
import type { GatewayConfigValues } from './config'
import { purchasePath } from './purchase'
import { AuthRateLimiter } from './purchase/rate-limit'
import type { RedisPort } from './redis/port'

/** What differs between the runtimes the gateway runs on (Bun: main.ts, workerd: worker.ts). */
export interface GatewayRuntime {
  logger: Logger
  telemetry?: Telemetry
  redis: RedisPort
  clientAddress?: GatewayDeps['clientAddress']
  adapter?: GatewayDeps['adapter']
  /**
   * false where a timer may not run outside a request (workerd): the revoked-sessions copy is
   * then refreshed by the first request after it is REVOCATION_REFRESH_MS old, not by a timer.
   */
  timers?: boolean
}

/** A copy refreshed in the background by the lookups themselves, never more often than `ms`. */
function refreshedOnUse(sessions: RevokedSessions, ms: number): RevokedSessions {
  let refreshedAt = 0
  return {
    ...sessions,
    has(sessionId) {
      if (Date.now() - refreshedAt >= ms) {
        refreshedAt = Date.now()
        void sessions.refresh()
      }
      return sessions.has(sessionId)
    },
  }
}

/** The replica wait: REDIS_WAIT_REPLICAS, by default 1 on a Redis Cluster and 0 on one node. */
const replicaWaitOf = (config: GatewayConfigValues) => ({
  replicas: config.REDIS_WAIT_REPLICAS ?? (config.REDIS_CLUSTER_NODES ? 1 : 0),
  timeoutMs: config.REDIS_WAIT_TIMEOUT_MS,
})

/**
 * The gateway's object graph from its config, shared by both entry points so the Bun gateway
 * and the Worker are one app: same routes, proxy, purchase path and limits.
 */
export function composeGateway(config: GatewayConfigValues, runtime: GatewayRuntime) {
  const { logger, telemetry, redis } = runtime
  const timeoutMs = config.UPSTREAM_TIMEOUT_MS
  // The sessions auth revoked, copied every REVOCATION_REFRESH_MS: no Redis call per request.
  const copy = revokedSessions({
    load: (now) => redis.zrangeByScoreFrom(REVOKED_SESSIONS_KEY, now),
    refreshMs: config.REVOCATION_REFRESH_MS,
    logger,
  })
  const revoked =
    runtime.timers === false ? refreshedOnUse(copy, config.REVOCATION_REFRESH_MS) : copy.start()
  return createApp({
    internalTokens: internalTokenSigner(config.INTERNAL_AUTH_SECRET),
    authRateLimiter: new AuthRateLimiter({
      redis,
      limit: { perSecond: config.AUTH_RATE_PER_ADDRESS, burst: config.AUTH_BURST_PER_ADDRESS },
      telemetry,
    }),
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
      revoked,
    }),
    upstreams: {
      auth: { name: 'auth', baseUrl: config.AUTH_URL, timeoutMs },
      product: { name: 'product', baseUrl: config.PRODUCT_URL, timeoutMs },
      order: { name: 'order', baseUrl: config.ORDER_URL, timeoutMs },
    },
    purchase: purchasePath({
      redis,
      logger,
      telemetry,
      mode: config.ORDER_MODE,
      replicaWait: replicaWaitOf(config),
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
