import { queries, type Sql, tracedQueries } from '@flash-deal/db'
import { createServiceApp, type Logger, type ReadinessCheck, type Telemetry } from '@flash-deal/kit'
import type { TokenVerifier } from '@flash-deal/kit/jwt'
import type { Redis } from '@flash-deal/kit/redis'
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
  reconciler: Reconciler
  maxBodyBytes?: number
  /** Tracing (a server span per request); off when absent. */
  telemetry?: Telemetry
}

/** The order service's HTTP surface, built from injected clients; it never listens itself. */
export function createApp({
  sql,
  redis,
  kafkaReady,
  logger,
  verifier,
  reconciler,
  maxBodyBytes,
  telemetry,
}: OrderDeps) {
  // Each request's statements are spans under its span (tracing on); the plain queries if off.
  const queriesFor = tracedQueries(telemetry, { databaseName: sql.options.database })
  return createServiceApp({
    name: 'order',
    version: '1.0.0',
    description:
      'Orders: the read API, the sync-mode purchase path and the reconciliation of Redis with Postgres.',
    logger,
    maxBodyBytes,
    telemetry,
    readiness: {
      postgres: () => queries.ping(sql),
      redis: () => redis.ping(),
      kafka: kafkaReady,
    },
  })
    .use(ordersController(new OrderService(sql, redis, logger, queriesFor), verifier))
    .use(purchaseController(new PurchaseService(sql, redis, logger, queriesFor), verifier))
    .use(reconciliationController(reconciler, verifier))
}
