/** The sync-mode purchase over HTTP, on real Postgres and Redis. */
import { afterAll, describe, expect, test } from 'bun:test'
import { dealStockKey } from '@flash-deal/contracts'
import { queries } from '@flash-deal/db'
import { v7 as uuidv7 } from 'uuid'
import { publishDeal, reserve } from './deal-state-fixtures'
import { caller, minutesFromNow, orderTestBed } from './support'

const bed = await orderTestBed({ maxConnections: 10 })
const {
  logger,
  sql,
  deadSql,
  redis,
  deadRedis,
  call,
  appWith,
  buyer,
  deal,
  stockRemaining,
  ordersOf,
} = bed

afterAll(() => bed.close())

/** A live deal whose stock is also published in Redis, as product does when it creates one. */
async function publishedDeal(change: Parameters<typeof deal>[0] = {}) {
  const row = await deal(change)
  await publishDeal(redis, row)
  return row
}

const purchase = (
  dealId: string,
  who: { token: string },
  options: { key?: string | null; body?: unknown } = {},
) =>
  call('POST', `/v1/deals/${dealId}/purchase`, {
    token: who.token,
    body: options.body ?? { quantity: 1 },
    headers: options.key === null ? {} : { 'idempotency-key': options.key ?? crypto.randomUUID() },
  })

describe('a purchase that fits', () => {
  test('is confirmed in Postgres, takes the stock, and lowers the Redis mirror', async () => {
    const me = await buyer()
    const live = await publishedDeal()
    const response = await purchase(live.id, me, { body: { quantity: 2 }, key: 'first-try' })
    expect(response.status).toBe(201)
    const body = await response.json()
    expect(body.status).toBe('confirmed')
    expect(response.headers.get('location')).toBe(`/v1/orders/${body.orderId}`)
    expect(response.headers.get('idempotent-replayed')).toBeNull()

    const rows = await ordersOf(me.id)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      id: body.orderId,
      dealId: live.id,
      quantity: 2,
      unitPrice: 4_900,
      status: 'confirmed',
    })
    expect(rows[0]?.confirmedAt).toBeInstanceOf(Date)
    expect(await stockRemaining(live.id)).toBe(8)
    expect(await redis.get(dealStockKey(live.id))).toBe('8')
  })

  test('without a body buys one unit', async () => {
    const me = await buyer()
    const live = await deal()
    const response = await call('POST', `/v1/deals/${live.id}/purchase`, {
      token: me.token,
      headers: { 'idempotency-key': 'no-body' },
    })
    expect(response.status).toBe(201)
    expect((await ordersOf(me.id))[0]?.quantity).toBe(1)
  })

  test('the mirror only lowers Redis and never creates the key', async () => {
    const me = await buyer()
    // Below Postgres: reservations got there first.
    const lowInRedis = await publishedDeal()
    for (let i = 0; i < 7; i++) await reserve(redis, { dealId: lowInRedis.id })
    expect((await purchase(lowInRedis.id, me)).status).toBe(201)
    expect(await redis.get(dealStockKey(lowInRedis.id))).toBe('3')

    const notInRedis = await deal()
    expect((await purchase(notInRedis.id, me)).status).toBe(201)
    expect(await redis.exists(dealStockKey(notInRedis.id))).toBe(0)
    expect(await stockRemaining(notInRedis.id)).toBe(9)
    // Both were decisions of the script, not failures.
    const mirrorFailures = logger.lines.filter(
      (line) => line.msg === 'deal stock mirror to Redis failed',
    )
    expect(mirrorFailures.map((line) => line.dealId)).not.toContain(lowInRedis.id)
    expect(mirrorFailures.map((line) => line.dealId)).not.toContain(notInRedis.id)
  })

  test('with Redis down the purchase still confirms, and the failed mirror is logged', async () => {
    const me = await buyer()
    const live = await deal()
    const noRedis = caller(appWith({ redis: deadRedis }))
    const response = await noRedis('POST', `/v1/deals/${live.id}/purchase`, {
      token: me.token,
      body: { quantity: 1 },
      headers: { 'idempotency-key': 'redis-down' },
    })
    expect(response.status).toBe(201)
    expect(await ordersOf(me.id)).toHaveLength(1)
    expect(await stockRemaining(live.id)).toBe(9)
    expect(
      logger.lines.some(
        (line) => line.msg === 'deal stock mirror to Redis failed' && line.dealId === live.id,
      ),
    ).toBe(true)
  })
})

describe('idempotency', () => {
  test('a retry with the same key answers the same order and takes stock once', async () => {
    const me = await buyer()
    const live = await publishedDeal()
    const first = await purchase(live.id, me, { key: 'retry-me', body: { quantity: 2 } })
    const again = await purchase(live.id, me, { key: 'retry-me', body: { quantity: 2 } })
    expect(first.status).toBe(201)
    expect(again.status).toBe(201)
    const { orderId } = await first.json()
    expect(await again.json()).toEqual({ orderId, status: 'confirmed' })
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.headers.get('location')).toBe(`/v1/orders/${orderId}`)
    expect((await ordersOf(me.id)).map((order) => order.id)).toEqual([orderId])
    expect(await stockRemaining(live.id)).toBe(8)
  })

  test('the same key with another quantity is 422 and changes nothing', async () => {
    const me = await buyer()
    const live = await deal()
    expect((await purchase(live.id, me, { key: 'k', body: { quantity: 1 } })).status).toBe(201)
    const reused = await purchase(live.id, me, { key: 'k', body: { quantity: 2 } })
    expect(reused.status).toBe(422)
    expect((await reused.json()).type).toBe('urn:flash-deal:problem:idempotency-key-reused')
    expect(await ordersOf(me.id)).toHaveLength(1)
    expect(await stockRemaining(live.id)).toBe(9)
  })

  test('a key whose async order was rejected replays as sold out and takes nothing', async () => {
    const me = await buyer()
    const live = await deal()
    // What the consumer writes when an accepted order no longer fits the Postgres stock.
    await queries.insertOrders(sql, {
      ids: [uuidv7()],
      dealIds: [live.id],
      userIds: [me.id],
      quantities: [1],
      unitPrices: [4_900],
      statuses: ['rejected'],
      idempotencyKeys: ['too-late'],
      acceptedAts: [new Date().toISOString()],
    })
    const response = await purchase(live.id, me, { key: 'too-late' })
    expect(response.status).toBe(409)
    expect((await response.json()).type).toBe('urn:flash-deal:problem:sold-out')
    expect(await ordersOf(me.id)).toHaveLength(1)
    expect(await stockRemaining(live.id)).toBe(10)
  })

  test('the same key on another deal is another purchase', async () => {
    const me = await buyer()
    const [one, two] = [await deal(), await deal()]
    expect((await purchase(one.id, me, { key: 'shared' })).status).toBe(201)
    expect((await purchase(two.id, me, { key: 'shared' })).status).toBe(201)
    expect(await ordersOf(me.id)).toHaveLength(2)
  })

  test('a missing or malformed Idempotency-Key is 400 and writes nothing', async () => {
    const me = await buyer()
    const live = await deal()
    for (const key of [null, 'has space', 'x'.repeat(65)]) {
      const response = await purchase(live.id, me, { key })
      expect(response.status).toBe(400)
      expect((await response.json()).errors[0].field).toBe('headers.idempotency-key')
    }
    expect(await ordersOf(me.id)).toHaveLength(0)
    expect(await stockRemaining(live.id)).toBe(10)
  })
})

describe('refusals write nothing', () => {
  test('a deal that has not started, or has ended, is 422 deal-not-live', async () => {
    const me = await buyer()
    const upcoming = await deal({ startsAt: minutesFromNow(30), endsAt: minutesFromNow(90) })
    const ended = await deal({ startsAt: minutesFromNow(-90), endsAt: minutesFromNow(-30) })
    for (const [closed, reason] of [
      [upcoming, 'not-started'],
      [ended, 'ended'],
    ] as const) {
      const response = await purchase(closed.id, me)
      expect(response.status).toBe(422)
      expect(await response.json()).toMatchObject({
        type: 'urn:flash-deal:problem:deal-not-live',
        reason,
      })
      expect(await stockRemaining(closed.id)).toBe(10)
    }
    expect(await ordersOf(me.id)).toHaveLength(0)
  })

  test('an unknown deal is 404, a malformed deal id 422', async () => {
    const me = await buyer()
    expect((await purchase(crypto.randomUUID(), me)).status).toBe(404)
    expect((await purchase('not-a-uuid', me)).status).toBe(422)
    expect(await ordersOf(me.id)).toHaveLength(0)
  })

  test('a quantity that is not a positive integer is 422', async () => {
    const me = await buyer()
    const live = await deal()
    for (const quantity of [0, -1, 1.5, '1']) {
      const response = await purchase(live.id, me, { body: { quantity } })
      expect(response.status).toBe(422)
      expect((await response.json()).errors[0].field).toBe('body.quantity')
    }
    expect(await ordersOf(me.id)).toHaveLength(0)
    expect(await stockRemaining(live.id)).toBe(10)
  })

  test('a quantity above the per-user limit is 422', async () => {
    const me = await buyer()
    const live = await deal({ perUserLimit: 3 })
    const response = await purchase(live.id, me, { body: { quantity: 4 } })
    expect(response.status).toBe(422)
    expect((await response.json()).errors[0].field).toBe('body.quantity')
    expect(await ordersOf(me.id)).toHaveLength(0)
    expect(await stockRemaining(live.id)).toBe(10)
  })

  test('the per-user limit holds across keys: 409 limit reached', async () => {
    const me = await buyer()
    const live = await deal({ perUserLimit: 2 })
    expect((await purchase(live.id, me, { key: 'a', body: { quantity: 2 } })).status).toBe(201)
    const more = await purchase(live.id, me, { key: 'b', body: { quantity: 1 } })
    expect(more.status).toBe(409)
    expect((await more.json()).type).toBe('urn:flash-deal:problem:purchase-limit-reached')
    expect(await ordersOf(me.id)).toHaveLength(1)
    expect(await stockRemaining(live.id)).toBe(8)
  })

  test('more than the stock left is 409 sold out; what is left can still be bought', async () => {
    const [first, second] = [await buyer(), await buyer()]
    const live = await publishedDeal({ stock: 3, perUserLimit: 3 })
    expect((await purchase(live.id, first, { body: { quantity: 2 } })).status).toBe(201)
    const tooMany = await purchase(live.id, second, { body: { quantity: 2 } })
    expect(tooMany.status).toBe(409)
    expect((await tooMany.json()).type).toBe('urn:flash-deal:problem:sold-out')
    expect(await ordersOf(second.id)).toHaveLength(0)
    expect(await stockRemaining(live.id)).toBe(1)
    expect((await purchase(live.id, second, { body: { quantity: 1 } })).status).toBe(201)
    expect(await stockRemaining(live.id)).toBe(0)
    expect(await redis.get(dealStockKey(live.id))).toBe('0')
  })

  test('no token is 401', async () => {
    const me = await buyer()
    const live = await deal()
    const response = await call('POST', `/v1/deals/${live.id}/purchase`, {
      body: { quantity: 1 },
      headers: { 'idempotency-key': 'anonymous' },
    })
    expect(response.status).toBe(401)
    expect(await ordersOf(me.id)).toHaveLength(0)
    expect(await stockRemaining(live.id)).toBe(10)
  })

  test('Postgres unreachable is 503, not 500', async () => {
    const me = await buyer()
    const noPostgres = caller(appWith({ sql: deadSql }))
    const response = await noPostgres('POST', `/v1/deals/${crypto.randomUUID()}/purchase`, {
      token: me.token,
      body: { quantity: 1 },
      headers: { 'idempotency-key': 'pg-down' },
    })
    expect(response.status).toBe(503)
    expect((await response.json()).type).toBe('urn:flash-deal:problem:unavailable')
    expect(response.headers.get('retry-after')).toBe('1')
  })
})

describe('under concurrency', () => {
  test('60 buyers racing for 20 units: exactly 20 sold, nobody above the limit', async () => {
    const live = await publishedDeal({ stock: 20, perUserLimit: 2 })
    const buyers = await Promise.all(Array.from({ length: 60 }, () => buyer()))
    // Two attempts each, 2 units and 1 unit: both passing would break the limit of 2.
    const responses = await Promise.all(
      buyers.flatMap((who) => [
        purchase(live.id, who, { body: { quantity: 2 } }),
        purchase(live.id, who, { body: { quantity: 1 } }),
      ]),
    )
    const statuses = responses.map((response) => response.status)
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true)

    const rows = (await Promise.all(buyers.map((who) => ordersOf(who.id)))).flat()
    const sold = rows.reduce((units, order) => units + order.quantity, 0)
    expect(sold).toBe(20)
    expect(rows).toHaveLength(statuses.filter((status) => status === 201).length)
    const perBuyer = new Map<string, number>()
    for (const order of rows)
      perBuyer.set(order.userId, (perBuyer.get(order.userId) ?? 0) + order.quantity)
    expect(Math.max(...perBuyer.values())).toBeLessThanOrEqual(2)
    expect(await stockRemaining(live.id)).toBe(0)
    expect(await redis.get(dealStockKey(live.id))).toBe('0')
  }, 30_000)

  test('ten concurrent requests with one key make one order', async () => {
    const me = await buyer()
    const live = await deal()
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => purchase(live.id, me, { key: 'double-click' })),
    )
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(201))
    const orderIds = new Set(
      await Promise.all(responses.map(async (r) => (await r.json()).orderId)),
    )
    const rows = await ordersOf(me.id)
    expect(rows).toHaveLength(1)
    expect([...orderIds]).toEqual([rows[0]?.id])
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9)
    expect(await stockRemaining(live.id)).toBe(9)
  })
})
