import { type Logger, type Telemetry, telemetryOff } from '@flash-deal/kit'
import type { RedisPort } from '../redis/port'
import type { OrderMode, PurchaseDeps } from './controller'
import { purchaseOutcomeCounter } from './outcomes'
import { PurchaseRateLimiter, type PurchaseRateLimits } from './rate-limit'
import type { ReplicaWait } from './replica-wait'
import { ReservationService } from './service'

/** The purchase route's dependencies on a Redis port: the limiter, the reservation, the counter. */
export function purchasePath(options: {
  redis: RedisPort
  logger: Logger
  mode: OrderMode
  limits: PurchaseRateLimits
  /** Traces the reservation and counts outcomes; off when absent. */
  telemetry?: Telemetry
  /** Replicas a reservation must reach before its 202 (replica-wait.ts); none when absent. */
  replicaWait?: ReplicaWait
}): Omit<PurchaseDeps, 'verifier' | 'forwardToOrder'> {
  const { redis, logger, limits } = options
  const telemetry = options.telemetry ?? telemetryOff('gateway')
  return {
    mode: options.mode,
    recordOutcome: purchaseOutcomeCounter(telemetry.meter),
    rateLimiter: new PurchaseRateLimiter({ redis, limits, telemetry }),
    reservations: new ReservationService({
      redis,
      logger,
      telemetry,
      replicaWait: options.replicaWait,
    }),
  }
}
