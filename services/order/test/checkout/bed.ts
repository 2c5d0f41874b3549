/** A checkout test bed: the order app with checkout on the real servers and a real sandbox. */
import { rmSync } from 'node:fs'
import {
  dealBuyersKey,
  dealOrdersKey,
  dealStockKey,
  parsePendingOrder,
  publishDealCall,
  registerDealOutbox,
  reserveCall,
  runDealScript,
} from '@flash-deal/contracts'
import { queries, type Sql } from '@flash-deal/db'
import {
  type SandboxProcess,
  sandboxApiKey,
  sandboxWebhookSecret,
  startPaymentSandbox,
} from '@flash-deal/testing/payment-sandbox'
import { v7 as uuidv7 } from 'uuid'
import { ExpiryJob } from '../../src/checkout/expiry'
import { Releaser } from '../../src/checkout/release'
import { applyOrders } from '../../src/consumer/apply-orders'
import { SandboxPaymentProvider } from '../../src/payments/sandbox-provider'
import { caller, createApp, orderTestBed, testReconciler } from '../support'

export async function checkoutBed(sandboxEnv: Record<string, string> = {}) {
  const bed = await orderTestBed({ maxConnections: 12 })
  const { sql, redis, logger, verifier } = bed
  // The app listening for the sandbox's webhooks (the only route the provider calls).
  let handle: (request: Request) => Promise<Response> = async () =>
    new Response(null, { status: 503 })
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request) => handle(request) })
  const sandbox: SandboxProcess = await startPaymentSandbox({
    PAYMENT_SANDBOX_STORE: 'memory',
    PAYMENT_SLOW_ANSWER_MS: '1500',
    PAYMENT_WEBHOOK_URL: `http://127.0.0.1:${server.port}/webhooks/payments`,
    PAYMENT_WEBHOOK_RETRY_BASE_MS: '100',
    ...sandboxEnv,
  })
  const provider = new SandboxPaymentProvider({
    baseUrl: sandbox.url,
    apiKey: sandboxApiKey,
    timeoutMs: 700,
    webhookSecrets: sandboxWebhookSecret,
  })
  const releaser = new Releaser({ sql, redis, logger })
  const build = (db: Sql) =>
    createApp({
      sql: db,
      redis,
      logger,
      verifier,
      mode: 'async',
      reconciler: testReconciler(sql, redis),
      kafkaReady: async () => 'not used by these routes',
      checkout: {
        releaser: db === sql ? releaser : new Releaser({ sql: db, redis, logger }),
        provider,
        arrivalWaitMs: 1500,
      },
    })
  const app = build(sql)
  handle = (request) => app.handle(request)
  const expiry = new ExpiryJob({ sql, releaser, logger, intervalMs: 1000 })

  /** A live deal published to Redis by publish-deal itself, as the product service does. */
  async function liveDeal(change: Parameters<typeof bed.deal>[0] = {}) {
    const row = await bed.deal(change)
    await runDealScript(redis, publishDealCall({ ...row, dealId: row.id }))
    await registerDealOutbox(redis, row.id)
    return row
  }

  /**
   * A purchase the async way minus Kafka: reserve.lua in Redis, then the consumer's own apply
   * step writes it to Postgres (`confirmed`). `pendingOnly` stops after Redis (a 202 in flight).
   */
  async function accept(dealId: string, userId: string, quantity = 1, pendingOnly = false) {
    const orderId = uuidv7()
    const idempotencyKey = crypto.randomUUID()
    const reply = await runDealScript(
      redis,
      reserveCall({ dealId, userId, idempotencyKey, quantity, orderId, traceparent: '' }),
    )
    if (reply.outcome !== 'accepted') throw new Error(`reserve said ${reply.outcome}`)
    const record = await redis.hget(dealOrdersKey(dealId), orderId)
    const pending = record ? parsePendingOrder(dealId, orderId, record) : null
    if (!pending) throw new Error('no pending record')
    const arrive = () =>
      sql.begin((tx) =>
        applyOrders(tx, [
          {
            type: 'OrderAccepted',
            version: 1,
            orderId,
            dealId,
            userId,
            quantity,
            unitPrice: pending.unitPrice,
            idempotencyKey,
            acceptedAt: pending.acceptedAt,
          },
        ]),
      )
    if (!pendingOnly) await arrive()
    return { orderId, arrive }
  }

  /** The books of a deal in both stores. */
  async function books(dealId: string) {
    const deal = await queries.getDeal(sql, { id: dealId })
    const orders = await queries.listDealOrders(sql, { dealId })
    const sum = (status: string) =>
      orders.filter((o) => o.status === status).reduce((n, o) => n + o.quantity, 0)
    const [unapplied] = await sql<{ n: number }[]>`
      SELECT coalesce(sum(quantity), 0)::int AS n FROM order_releases
      WHERE deal_id = ${dealId} AND applied_at IS NULL`
    return {
      stock: deal?.stock ?? 0,
      remaining: deal?.stockRemaining ?? 0,
      redisStock: Number(await redis.get(dealStockKey(dealId))),
      held: sum('confirmed'),
      paid: sum('paid'),
      unapplied: unapplied?.n ?? 0,
      buyers: await redis.hgetall(dealBuyersKey(dealId)),
    }
  }

  /** Moves an order's acceptance into the past, so its payBy is `msFromNow` away. */
  async function dueIn(orderId: string, msFromNow: number) {
    await sql`
      UPDATE orders o SET accepted_at = now() - make_interval(secs => d.hold_seconds)
        + make_interval(secs => ${msFromNow / 1000}),
        pay_by = now() + make_interval(secs => ${msFromNow / 1000})
      FROM deals d WHERE o.id = ${orderId} AND d.id = o.deal_id`
  }

  const call = caller(app)
  /** Pays a held order through the route, as its buyer, with an Idempotency-Key. */
  const pay = (
    orderId: string,
    who: { token: string },
    key: string,
    paymentMethod = 'pm_card_visa',
  ) =>
    call('POST', `/v1/orders/${orderId}/payment`, {
      token: who.token,
      body: { paymentMethod },
      headers: { 'idempotency-key': key },
    })

  return {
    ...bed,
    app,
    /** The same app on other Postgres clients (a dead one, for outages). */
    appOn: build,
    call,
    pay,
    sandbox,
    provider,
    releaser,
    expiry,
    liveDeal,
    accept,
    books,
    dueIn,
    async close() {
      await server.stop(true)
      await sandbox.stop('SIGKILL')
      rmSync(sandbox.stateDir, { recursive: true, force: true })
      await bed.close()
    },
  }
}
