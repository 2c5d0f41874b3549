/** What the order tests share: real rows to buy from (users, a product, deals) and a caller. */
import { connect, queries, type Sql } from '@flash-deal/db'
import type { Telemetry } from '@flash-deal/kit'
import { createKafka } from '@flash-deal/kit/kafka'
import { createRedis, type Redis } from '@flash-deal/kit/redis'
import {
  caller,
  deadRedisUrl,
  deadUrls,
  internalAuthFor,
  recordingLogger,
  testEnv,
  testTokens,
  uniqueSuffix,
  viaGateway,
} from '@flash-deal/testing'
import { createApp as createOrderApp, type OrderDeps } from '../src/app'
import { Reconciler } from '../src/reconciler/reconciler'

/**
 * The order app with the run's internal secret, every request carrying the gateway's internal
 * token (the way every `/v1` request reaches it), in sync mode unless told otherwise (the mode
 * with the purchase route, which these tests use to make orders).
 */
export const createApp = (
  deps: Omit<OrderDeps, 'internalAuth' | 'mode'> & { mode?: OrderDeps['mode'] },
) =>
  viaGateway(
    createOrderApp({ mode: 'sync', ...deps, internalAuth: internalAuthFor('order') }),
    'order',
  )

export const minutesFromNow = (n: number) => new Date(Date.now() + n * 60_000)

export function fixtures(sql: Sql) {
  // orders.user_id and orders.deal_id are foreign keys: buyers and deals must exist.
  const user = async () => {
    const row = await queries.createUser(sql, {
      email: `buyer-${uniqueSuffix()}@example.test`,
      passwordHash: 'not-a-hash',
      displayName: null,
    })
    if (!row) throw new Error('no user created')
    return row
  }

  let productId: string | undefined
  const product = async () => {
    productId ??= (
      await queries.createProduct(sql, {
        name: `Order test ${uniqueSuffix()}`,
        description: '',
        price: 10_000,
        currency: 'USD',
      })
    )?.id
    if (!productId) throw new Error('no product created')
    return productId
  }

  /** A live deal by default: 10 units at 4900, at most 3 per buyer. */
  const deal = async (
    change: Partial<{
      price: number
      stock: number
      perUserLimit: number
      startsAt: Date
      endsAt: Date
      holdSeconds: number | null
    }> = {},
  ) => {
    const row = await queries.createDeal(sql, {
      productId: await product(),
      price: 4_900,
      stock: 10,
      perUserLimit: 3,
      startsAt: minutesFromNow(-1),
      endsAt: minutesFromNow(60),
      holdSeconds: null,
      ...change,
    })
    if (!row) throw new Error('no deal created')
    return row
  }

  const stockRemaining = async (dealId: string) =>
    (await queries.getDeal(sql, { id: dealId }))?.stockRemaining

  const ordersOf = (userId: string) =>
    queries.listUserOrders(sql, { userId, beforeId: null, limit: 100 })

  return { user, deal, stockRemaining, ordersOf }
}

export { caller }

/** A reconciler on the test servers (its Kafka admin connects only when it runs). */
export const testReconciler = (sql: Sql, redis: Redis) =>
  new Reconciler({
    sql,
    redis,
    kafka: createKafka({
      clientId: 'order-it',
      brokers: testEnv.kafkaBrokers,
      logger: recordingLogger(),
    }),
    logger: recordingLogger(),
  })

/**
 * Everything an HTTP test of the order service needs: real clients, clients that point at
 * nothing (to test outages), a token issuer, the app, and `appWith` for the app on other clients.
 */
export async function orderTestBed(options: { maxConnections?: number } = {}) {
  const logger = recordingLogger()
  const sql = connect(testEnv.databaseUrl, { max: options.maxConnections ?? 4 })
  const deadSql = connect(deadUrls.postgres, { max: 1 })
  const redis = createRedis(testEnv.redisUrl, logger)
  const deadRedis = createRedis(deadRedisUrl, logger)
  const { verifier, tokenFor } = await testTokens()
  const appWith = (clients: { sql?: Sql; redis?: Redis; telemetry?: Telemetry } = {}) =>
    createApp({
      sql: clients.sql ?? sql,
      redis: clients.redis ?? redis,
      reconciler: testReconciler(sql, redis),
      logger,
      verifier,
      kafkaReady: async () => 'not used by these routes',
      telemetry: clients.telemetry,
    })
  const app = appWith()
  const rows = fixtures(sql)
  return {
    logger,
    sql,
    deadSql,
    redis,
    deadRedis,
    tokenFor,
    verifier,
    app,
    appWith,
    call: caller(app),
    ...rows,
    /** A real user row and a customer token for it. */
    async buyer() {
      const row = await rows.user()
      return { id: row.id, token: await tokenFor('customer', { sub: row.id }) }
    },
    async close() {
      await Promise.all([sql.end(), deadSql.end()])
      redis.disconnect()
      deadRedis.disconnect()
    },
  }
}
