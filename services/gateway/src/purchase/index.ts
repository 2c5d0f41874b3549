import reserveLua from '@flash-deal/contracts/lua/reserve.lua' with { type: 'text' }
import { type Logger, type Telemetry, telemetryOff } from '@flash-deal/kit'
import { luaScript, type RedisPort } from '../redis/port'
import type { OrderMode, PurchaseDeps } from './controller'
import { purchaseOutcomeCounter } from './outcomes'
import { type PurchaseRateLimits, purchaseRateLimiter } from './rate-limit'
import { createReservations } from './service'
import tokenBucketLua from './token-bucket.lua' with { type: 'text' }

/** Builds the purchase path on a Redis port: the scripts (hashed once), the limiter, the reservation. */
export async function createPurchase(options: {
  port: RedisPort
  logger: Logger
  mode: OrderMode
  limits: PurchaseRateLimits
  /** Traces the reservation and counts outcomes; off when absent. */
  telemetry?: Telemetry
}): Promise<Omit<PurchaseDeps, 'verifier' | 'forwardToOrder'>> {
  const [reserve, tokenBucket] = await Promise.all([
    luaScript('reserve', reserveLua),
    luaScript('token-bucket', tokenBucketLua),
  ])
  const telemetry = options.telemetry ?? telemetryOff('gateway')
  return {
    mode: options.mode,
    recordOutcome: purchaseOutcomeCounter(telemetry.meter),
    checkRateLimit: purchaseRateLimiter(options.port, tokenBucket, options.limits, telemetry),
    reserveStock: createReservations(options.port, reserve, options.logger, telemetry),
  }
}
