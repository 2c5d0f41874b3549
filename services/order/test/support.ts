/** What the order tests share: real rows to buy from (users, a product, deals) and a caller. */
import { queries, type Sql } from '@flash-deal/db'
import { createKafka } from '@flash-deal/kit/kafka'
import type { Redis } from '@flash-deal/kit/redis'
import { recordingLogger, testEnv, uniqueSuffix } from '@flash-deal/testing'
import { createReconciler } from '../src/reconciler/reconciler'

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
    }> = {},
  ) => {
    const row = await queries.createDeal(sql, {
      productId: await product(),
      price: 4_900,
      stock: 10,
      perUserLimit: 3,
      startsAt: minutesFromNow(-1),
      endsAt: minutesFromNow(60),
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

export function caller(app: { handle(request: Request): Promise<Response> }) {
  return (
    method: string,
    path: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...options.headers }
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    if (options.token) headers.authorization = `Bearer ${options.token}`
    const body = options.body === undefined ? undefined : JSON.stringify(options.body)
    return app.handle(new Request(`http://localhost${path}`, { method, headers, body }))
  }
}

/** A reconciler on the test servers (its Kafka admin connects only when it runs). */
export const testReconciler = (sql: Sql, redis: Redis) =>
  createReconciler({
    sql,
    redis,
    kafka: createKafka({
      clientId: 'order-it',
      brokers: testEnv.kafkaBrokers,
      logger: recordingLogger(),
    }),
    logger: recordingLogger(),
  })
