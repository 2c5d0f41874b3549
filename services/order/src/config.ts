import {
  baseConfig,
  databaseUrl,
  httpUrl,
  internalAuthSecret,
  kafkaBrokers,
  loadConfig,
  port,
  redisClusterNodes,
  redisUrl,
  revocationRefreshMs,
} from '@flash-deal/kit'
import { type Static, Type as T } from '@sinclair/typebox'
import { checkoutConfig } from './checkout/config'
import { consumerGroup } from './consumer/config'

export const OrderConfig = T.Object({
  ...baseConfig,
  INTERNAL_AUTH_SECRET: internalAuthSecret,
  REVOCATION_REFRESH_MS: revocationRefreshMs,
  PORT: port(8083),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  REDIS_CLUSTER_NODES: redisClusterNodes,
  KAFKA_BROKERS: kafkaBrokers,
  /** The purchase route is served only in sync mode (the gateway's ORDER_MODE). */
  ORDER_MODE: T.Union([T.Literal('async'), T.Literal('sync')], { default: 'async' }),
  JWKS_URL: httpUrl('http://127.0.0.1:8081/.well-known/jwks.json'),
  JWT_ISSUER: T.String({ minLength: 1, default: 'flash-deal-auth' }),
  JWT_AUDIENCE: T.String({ minLength: 1, default: 'flash-deal' }),
  /** How often the reconciler compares Redis with Postgres; 0 runs it only on request. */
  RECONCILE_INTERVAL_MS: T.Integer({ minimum: 0, default: 5000 }),
  /** Deals that ended longer ago than this are no longer reconciled. */
  RECONCILE_GRACE_SECONDS: T.Integer({ minimum: 0, default: 3600 }),
  /** The consumer group whose lag says whether orders are still in flight. */
  CONSUMER_GROUP: consumerGroup,
  ...checkoutConfig,
})
export type OrderConfig = Static<typeof OrderConfig>

type ReconcilerConfig = Pick<OrderConfig, 'CONSUMER_GROUP' | 'RECONCILE_GRACE_SECONDS'>

/** The reconciler's settings, as `Reconciler` takes them. */
export const reconcilerSettings = (config: ReconcilerConfig) => ({
  consumerGroup: config.CONSUMER_GROUP,
  graceSeconds: config.RECONCILE_GRACE_SECONDS,
})
export type ReconcilerSettings = ReturnType<typeof reconcilerSettings>

/** What a reconciler built without an environment (the tests) runs with: the schema's defaults. */
export const reconcilerDefaults: ReconcilerSettings = reconcilerSettings(
  loadConfig(T.Pick(OrderConfig, ['CONSUMER_GROUP', 'RECONCILE_GRACE_SECONDS']), {}),
)
