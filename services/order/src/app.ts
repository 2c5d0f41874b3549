import { queries, type Sql, tracedQueries } from '@flash-deal/db'
import { createServiceApp, type Logger, type ReadinessCheck, type Telemetry } from '@flash-deal/kit'
import type { InternalTokenVerifier } from '@flash-deal/kit/internal-auth'
import type { TokenVerifier } from '@flash-deal/kit/jwt'
import type { Redis } from '@flash-deal/kit/redis'
import { type CheckoutDeps, checkoutRoutes } from './checkout/wiring'
import { ordersController } from './orders/controller'
import { OrderService } from './orders/service'
import { purchaseController } from './purchase/controller'
import { PurchaseService } from './purchase/service'
import { reconciliationController } from './reconciler/controller'
import type { Reconciler } from './reconciler/reconciler'

export interface OrderDeps {
  sql: Sql
  redis: Redis
  kafkaReady: ReadinessCheck
  logger: Logger
  verifier: TokenVerifier
  /** Verifies the gateway's X-Internal-Token: only the gateway may call `/v1/*`. */
  internalAuth: InternalTokenVerifier
  /**
   * The purchase route exists only in sync mode (Phase 1): in async mode the gateway reserves
   * in Redis, and a second door writing Postgres directly would sell the same stock twice.
   */
  mode: 'async' | 'sync'
  reconciler: Reconciler
  maxBodyBytes?: number
  /** Tracing (a server span per request); off when absent. */
  telemetry?: Telemetry
  /** Checkout (payment, cancel, the provider's webhook); no such routes when absent. */
  checkout?: CheckoutDeps
}

/** The order service's HTTP surface, built from injected clients; it never listens itself. */
export function createApp({
  sql,
  redis,
  kafkaReady,
  logger,
  verifier,
  internalAuth: internalTokens,
  mode,
  reconciler,
  maxBodyBytes,
  telemetry,
  checkout,
}: OrderDeps) {
  // Each request's statements are spans under its span (tracing on); the plain queries if off.
  const queriesFor = tracedQueries(telemetry, { databaseName: sql.options.database })
  const app = createServiceApp({
    name: 'order',
    version: '1.0.0',
    description:
      'Orders: the read API, the sync-mode purchase path and the reconciliation of Redis with Postgres.',
    logger,
    maxBodyBytes,
    telemetry,
    internalAuth: internalTokens,
    readiness: {
      postgres: () => queries.ping(sql),
      redis: () => redis.ping(),
      kafka: kafkaReady,
    },
  })
  const orders = new OrderService({ sql, redis, logger, queriesFor })
  app.use(ordersController(orders, verifier)).use(reconciliationController(reconciler, verifier))
  // Checkout hooks in here (services/order/src/checkout).
  if (checkout) {
    for (const routes of checkoutRoutes(checkout, { sql, orders, logger, verifier }))
      app.use(routes)
  }
  if (mode === 'sync') {
    return app.use(
      purchaseController(new PurchaseService({ sql, redis, logger, queriesFor }), verifier),
    )
  }
  return app
}
