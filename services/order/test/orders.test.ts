/** Reading orders over HTTP, on real Postgres and Redis. */
import { afterAll, describe, expect, test } from 'bun:test'
import { dealOrdersKey, type PendingOrder } from '@flash-deal/contracts'
import { v7 as uuidv7 } from 'uuid'
import { publishDeal, reserve } from './deal-state-fixtures'
import { caller, minutesFromNow, orderTestBed } from './support'

const bed = await orderTestBed({ maxConnections: 4 })
const { deadSql, redis, deadRedis, tokenFor, call, appWith, buyer, deal } = bed
const admin = await tokenFor('admin')

afterAll(() => bed.close())

/** A confirmed order, made the way a customer makes one: through the sync purchase. */
async function bought(who: { token: string }, dealId: string, quantity = 1) {
  const response = await call('POST', `/v1/deals/${dealId}/purchase`, {
    token: who.token,
    body: { quantity },
    headers: { 'idempotency-key': crypto.randomUUID() },
  })
  expect(response.status).toBe(201)
  return (await response.json()).orderId as string
}

const read = (id: string, token?: string) => call('GET', `/v1/orders/${id}`, { token })

describe('one order', () => {
  test('its owner reads it as confirmed, with what Postgres has', async () => {
    const me = await buyer()
    const live = await deal()
    const id = await bought(me, live.id, 2)
    const response = await read(id, me.token)
    expect(response.status).toBe(200)
    const order = await response.json()
    expect(order).toMatchObject({
      id,
      dealId: live.id,
      userId: me.id,
      quantity: 2,
      unitPrice: 4_900,
      status: 'confirmed',
    })
    expect(Object.keys(order).sort()).toEqual(
      [
        'acceptedAt',
        'confirmedAt',
        'createdAt',
        'dealId',
        'id',
        'quantity',
        'status',
        'unitPrice',
        'userId',
        'total',
        'payBy',
        'paymentReference',
      ].sort(),
    )
    // Checkout: held for the deal's window (600 s by default), the total is what is charged.
    expect(order.total).toBe(order.quantity * order.unitPrice)
    expect(Date.parse(order.payBy) - Date.parse(order.acceptedAt)).toBe(600_000)
    expect(order.paymentReference).toBeNull()
    for (const at of [order.createdAt, order.acceptedAt, order.confirmedAt]) {
      expect(Math.abs(Date.parse(at) - Date.now())).toBeLessThan(60_000)
    }
  })

  test('an admin reads anyone’s order', async () => {
    const owner = await buyer()
    const id = await bought(owner, (await deal()).id)
    const response = await read(id, admin)
    expect(response.status).toBe(200)
    expect((await response.json()).userId).toBe(owner.id)
  })

  test('another user gets the same 404 as for an id that does not exist', async () => {
    const [owner, stranger] = [await buyer(), await buyer()]
    const id = await bought(owner, (await deal()).id)
    const hidden = await read(id, stranger.token)
    const unknownId = crypto.randomUUID()
    const unknown = await read(unknownId, stranger.token)
    expect(hidden.status).toBe(404)
    expect(unknown.status).toBe(404)
    // Identical but for the id each names, so a stranger cannot tell "exists" from "does not".
    const shape = async (response: Response, ofId: string) => {
      const { requestId: _, ...problem } = await response.json()
      return JSON.parse(JSON.stringify(problem).replaceAll(ofId, '<id>'))
    }
    expect(await shape(hidden, id)).toEqual(await shape(unknown, unknownId))
  })

  test('an unknown id is 404, a malformed one 422, no token 401', async () => {
    const me = await buyer()
    expect((await read(uuidv7(), me.token)).status).toBe(404)
    expect((await read('42', me.token)).status).toBe(422)
    expect((await read(uuidv7())).status).toBe(401)
  })
})

describe('a pending order (accepted, not yet in Postgres)', () => {
  /** An order reserve.lua accepted (as the gateway does) that the consumer has not written. */
  const pendingFor = async (
    userId: string,
    live: Awaited<ReturnType<typeof deal>>,
  ): Promise<PendingOrder> => {
    const dealId = live.id
    await publishDeal(redis, live)
    const { reservation, entry } = await reserve(redis, { dealId, userId, quantity: 2 })
    return {
      id: reservation.orderId,
      dealId,
      userId,
      quantity: 2,
      unitPrice: 4_900,
      // The instant reserve.lua stamped the order with (Redis's clock), from its outbox entry.
      acceptedAt: new Date(Number(entry.acceptedAtMs)).toISOString(),
    }
  }

  test('is read from Redis as pending by its owner and an admin, and hidden from others', async () => {
    const [me, stranger] = [await buyer(), await buyer()]
    const pending = await pendingFor(me.id, await deal())
    const response = await read(pending.id, me.token)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      id: pending.id,
      dealId: pending.dealId,
      userId: me.id,
      quantity: 2,
      unitPrice: 4_900,
      status: 'pending',
      total: 9_800,
      createdAt: pending.acceptedAt,
      acceptedAt: pending.acceptedAt,
      confirmedAt: null,
      payBy: new Date(Date.parse(pending.acceptedAt) + 600_000).toISOString(),
      paymentReference: null,
    })
    expect((await read(pending.id, admin)).status).toBe(200)
    expect((await read(pending.id, stranger.token)).status).toBe(404)
  })

  test('with Redis down an order Postgres lacks is 503 (it may be pending), one it has is 200', async () => {
    const me = await buyer()
    const confirmed = await bought(me, (await deal()).id)
    const noRedis = caller(appWith({ redis: deadRedis }))
    const unknown = await noRedis('GET', `/v1/orders/${uuidv7()}`, { token: me.token })
    expect(unknown.status).toBe(503)
    expect((await unknown.json()).type).toBe('urn:flash-deal:problem:unavailable')
    const known = await noRedis('GET', `/v1/orders/${confirmed}`, { token: me.token })
    expect(known.status).toBe(200)
    expect((await known.json()).status).toBe('confirmed')
  })

  test('an id no open deal could have accepted is 404 at once, even with Redis down', async () => {
    const me = await buyer()
    await deal()
    const noRedis = caller(appWith({ redis: deadRedis }))
    // A UUIDv7 from 1 January 2001: no deal's window held that instant, so no deal is asked.
    const longAgo = uuidv7({ msecs: Date.UTC(2001, 0, 1) })
    expect((await noRedis('GET', `/v1/orders/${longAgo}`, { token: me.token })).status).toBe(404)
    // Not a UUIDv7 at all: the gateway never made it.
    const v4 = crypto.randomUUID()
    expect((await noRedis('GET', `/v1/orders/${v4}`, { token: me.token })).status).toBe(404)
  })

  test('a pending record in another deal than the one open at its time is not found', async () => {
    const me = await buyer()
    const ended = await deal({ startsAt: minutesFromNow(-120), endsAt: minutesFromNow(-60) })
    const id = uuidv7()
    // A record as reserve.lua writes it (made on a live deal), filed under the ended deal.
    const live = await deal()
    await publishDeal(redis, live)
    const { reservation } = await reserve(redis, { dealId: live.id, userId: me.id })
    const record = await redis.hget(dealOrdersKey(live.id), reservation.orderId)
    expect(record).not.toBeNull()
    await redis.hset(dealOrdersKey(ended.id), id, record as string)
    expect((await read(id, me.token)).status).toBe(404)
  })

  test('with Postgres down reads are 503, not 500', async () => {
    const me = await buyer()
    const noPostgres = caller(appWith({ sql: deadSql }))
    expect((await noPostgres('GET', `/v1/orders/${uuidv7()}`, { token: me.token })).status).toBe(
      503,
    )
    expect((await noPostgres('GET', '/v1/orders', { token: me.token })).status).toBe(503)
  })
})

describe('my orders', () => {
  test('are listed newest first, page by page, and only mine', async () => {
    const [me, other] = [await buyer(), await buyer()]
    const live = await deal({ perUserLimit: 3 })
    const made = [await bought(me, live.id), await bought(me, live.id), await bought(me, live.id)]
    await bought(other, live.id)

    const first = await call('GET', '/v1/orders?limit=2', { token: me.token })
    expect(first.status).toBe(200)
    const page = await first.json()
    expect(page.items.map((order: { id: string }) => order.id)).toEqual([made[2], made[1]])
    expect(page.nextCursor).toEqual(expect.any(String))

    const second = await call('GET', `/v1/orders?limit=2&cursor=${page.nextCursor}`, {
      token: me.token,
    })
    expect(second.status).toBe(200)
    const rest = await second.json()
    expect(rest.items.map((order: { id: string }) => order.id)).toEqual([made[0]])
    expect(rest.nextCursor).toBeNull()
    expect(rest.items[0]).toMatchObject({ userId: me.id, status: 'confirmed', quantity: 1 })

    const all = await (await call('GET', '/v1/orders', { token: me.token })).json()
    expect(all.items).toHaveLength(3)
  })

  test('a forged cursor is 400, a limit out of range 422, no token 401', async () => {
    const me = await buyer()
    const forged = Buffer.from('not-an-order-id').toString('base64url')
    const response = await call('GET', `/v1/orders?cursor=${forged}`, { token: me.token })
    expect(response.status).toBe(400)
    expect((await response.json()).errors[0].field).toBe('query.cursor')
    expect((await call('GET', '/v1/orders?limit=0', { token: me.token })).status).toBe(422)
    expect((await call('GET', '/v1/orders?limit=101', { token: me.token })).status).toBe(422)
    expect((await call('GET', '/v1/orders')).status).toBe(401)
  })
})
