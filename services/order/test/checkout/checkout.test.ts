/**
 * Checkout on the real Postgres, Redis and payment sandbox: pay, cancel, expire, and the one
 * release path that puts units back in both stores exactly once.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { queries } from '@flash-deal/db'
import { ReleaseSweeper } from '../../src/checkout/sweeper'
import { checkoutBed } from './bed'

const bed = await checkoutBed()
const { call, pay, sql, buyer, liveDeal, accept, books, dueIn, expiry, provider } = bed
afterAll(() => bed.close())

const cancel = (orderId: string, who: { token: string }) =>
  call('POST', `/v1/orders/${orderId}/cancel`, { token: who.token })
const order = async (orderId: string, who: { token: string }) =>
  (await call('GET', `/v1/orders/${orderId}`, { token: who.token })).json()

/** Invariant 1 once settled: paid + held + remaining = stock, and Redis equals Postgres. */
function expectBalanced(b: Awaited<ReturnType<typeof books>>) {
  expect(b.paid + b.held + b.remaining).toBe(b.stock)
  expect(b.redisStock + b.unapplied).toBe(b.remaining)
}

describe('paying a held order', () => {
  test('charges the total once, turns it paid with the reference; a retry answers the same', async () => {
    const me = await buyer()
    const deal = await liveDeal({ price: 990 })
    const { orderId } = await accept(deal.id, me.id, 2)
    const held = await order(orderId, me)
    expect(held).toMatchObject({ status: 'confirmed', total: 1980, quantity: 2, unitPrice: 990 })
    expect(Date.parse(held.payBy) - Date.parse(held.acceptedAt)).toBe(600_000)

    const first = await pay(orderId, me, 'pay-1')
    expect(first.status).toBe(200)
    const paid = await first.json()
    expect(paid.status).toBe('paid')
    expect(paid.paymentReference).toMatch(/^pi_/)
    const again = await pay(orderId, me, 'pay-1')
    expect(again.status).toBe(200)
    expect((await again.json()).paymentReference).toBe(paid.paymentReference)
    const charged = await provider.retrieve(paid.paymentReference)
    expect(charged).toMatchObject({ status: 'succeeded', amount: 1980, amountRefunded: 0 })

    const twice = await pay(orderId, me, 'pay-2')
    expect(twice.status).toBe(409)
    expect((await twice.json()).type).toBe('urn:flash-deal:problem:order-already-paid')
    const late = await cancel(orderId, me)
    expect(late.status).toBe(409)
    expect((await late.json()).type).toBe('urn:flash-deal:problem:order-already-paid')
    expect((await order(orderId, me)).status).toBe('paid')
    expectBalanced(await books(deal.id))
  })

  test('someone else’s order is 404 and an admin cannot pay it; nothing changes', async () => {
    const [me, other] = [await buyer(), await buyer()]
    const deal = await liveDeal()
    const { orderId } = await accept(deal.id, me.id)
    const before = await books(deal.id)
    expect((await pay(orderId, other, 'k')).status).toBe(404)
    const admin = { token: await bed.tokenFor('admin') }
    expect((await pay(orderId, admin, 'k')).status).toBe(404)
    expect((await cancel(orderId, other)).status).toBe(404)
    expect((await order(orderId, me)).status).toBe('confirmed')
    expect(await books(deal.id)).toEqual(before)
  })

  test('bad input: no key 400, a malformed method 422, an unknown one 422, a decline 402 — still held', async () => {
    const me = await buyer()
    const deal = await liveDeal()
    const { orderId } = await accept(deal.id, me.id)
    const noKey = await call('POST', `/v1/orders/${orderId}/payment`, {
      token: me.token,
      body: { paymentMethod: 'pm_card_visa' },
    })
    expect(noKey.status).toBe(400)
    expect((await pay(orderId, me, 'k1', 'visa')).status).toBe(422)
    const unknown = await pay(orderId, me, 'k2', 'pm_card_nonexistent')
    expect(unknown.status).toBe(422)
    expect((await unknown.json()).type).toBe('urn:flash-deal:problem:unknown-payment-method')
    const declined = await pay(orderId, me, 'k3', 'pm_card_chargeDeclined')
    expect(declined.status).toBe(402)
    expect((await order(orderId, me)).status).toBe('confirmed')
    // Another card with a new key pays it.
    expect((await pay(orderId, me, 'k4')).status).toBe(200)
  })

  test('a pending order (accepted, not yet in Postgres) is waited for, then paid', async () => {
    const me = await buyer()
    const deal = await liveDeal()
    const { orderId, arrive } = await accept(deal.id, me.id, 1, true)
    expect((await order(orderId, me)).status).toBe('pending')
    setTimeout(() => void arrive(), 300)
    const answer = await pay(orderId, me, 'pending-pay')
    expect(answer.status).toBe(200)
    expect((await answer.json()).status).toBe('paid')
  })
})

describe('cancel and expiry release the units exactly once', () => {
  test('cancel: cancelled, units back in Postgres and Redis, the buyer may buy again', async () => {
    const me = await buyer()
    const deal = await liveDeal({ stock: 3, perUserLimit: 3 })
    const { orderId } = await accept(deal.id, me.id, 3)
    const sold = await books(deal.id)
    expect(sold).toMatchObject({ remaining: 0, redisStock: 0, held: 3 })
    const answer = await cancel(orderId, me)
    expect(answer.status).toBe(200)
    expect((await answer.json()).status).toBe('cancelled')
    const after = await books(deal.id)
    expect(after).toMatchObject({ remaining: 3, redisStock: 3, held: 0, unapplied: 0 })
    expect(after.buyers[me.id]).toBeUndefined()
    // Again: the same answer, nothing released twice.
    expect((await cancel(orderId, me)).status).toBe(200)
    expect(await books(deal.id)).toEqual(after)
    const refused = await pay(orderId, me, 'after-cancel')
    expect(refused.status).toBe(409)
    expect((await refused.json()).type).toBe('urn:flash-deal:problem:order-cancelled')
    // The per-user limit counts only held + paid units: the buyer can take all 3 again.
    await accept(deal.id, me.id, 3)
    expectBalanced(await books(deal.id))
  })

  test('an admin may cancel anyone’s held order', async () => {
    const me = await buyer()
    const deal = await liveDeal()
    const { orderId } = await accept(deal.id, me.id)
    const admin = { token: await bed.tokenFor('admin') }
    expect((await cancel(orderId, admin)).status).toBe(200)
    expect((await order(orderId, me)).status).toBe('cancelled')
  })

  test('expiry: only orders past payBy, released once even with two jobs at the same time', async () => {
    const me = await buyer()
    const deal = await liveDeal({ stock: 10, perUserLimit: 10, holdSeconds: 5 })
    const due = await Promise.all([1, 2, 3].map(() => accept(deal.id, me.id, 2)))
    const notDue = await accept(deal.id, me.id, 1)
    for (const { orderId } of due) await dueIn(orderId, -1000)
    const runs = await Promise.all([expiry.runOnce(), expiry.runOnce(), expiry.runOnce()])
    const released = runs.flat().filter((r) => r.dealId === deal.id)
    expect(released.map((r) => r.orderId).sort()).toEqual(due.map((o) => o.orderId).sort())
    const after = await books(deal.id)
    expect(after).toMatchObject({ remaining: 9, redisStock: 9, held: 1, unapplied: 0 })
    expect(after.buyers[me.id]).toBe('1')
    for (const { orderId } of due) {
      expect((await order(orderId, me)).status).toBe('expired')
      const refused = await pay(orderId, me, 'late')
      expect(refused.status).toBe(409)
      expect((await refused.json()).type).toBe('urn:flash-deal:problem:order-expired')
    }
    expect((await order(notDue.orderId, me)).status).toBe('confirmed')
    expectBalanced(await books(deal.id))
  })

  test('a job that dies mid-batch leaves nothing half-applied', async () => {
    const me = await buyer()
    const deal = await liveDeal({ holdSeconds: 5 })
    const { orderId } = await accept(deal.id, me.id, 2)
    await dueIn(orderId, -1000)
    const before = await books(deal.id)
    // The batch's transaction dies after the release statement ran (a killed process rolls back).
    await expect(
      sql.begin(async (tx) => {
        await queries.lockExpiredOrders(tx, { limit: 10 })
        expect(await bed.releaser.decide(tx, orderId, 'expired')).not.toBeNull()
        throw new Error('killed')
      }),
    ).rejects.toThrow('killed')
    expect(await books(deal.id)).toEqual(before)
    expect((await order(orderId, me)).status).toBe('confirmed')
    await expiry.runOnce()
    expect(await books(deal.id)).toMatchObject({ remaining: 10, redisStock: 10, unapplied: 0 })
  })

  test('a crash after the commit, before Redis: the sweeper converges, exactly once', async () => {
    const me = await buyer()
    const deal = await liveDeal()
    const { orderId } = await accept(deal.id, me.id, 2)
    // Decided and committed in Postgres; the process dies before giving Redis the units.
    await sql.begin((tx) => bed.releaser.decide(tx, orderId, 'cancelled'))
    const crashed = await books(deal.id)
    expect(crashed).toMatchObject({ remaining: 10, redisStock: 8, unapplied: 2 })
    expectBalanced(crashed)
    const sweeper = new ReleaseSweeper({
      sql,
      releaser: bed.releaser,
      logger: bed.logger,
      intervalMs: 1000,
      minAgeSeconds: 0,
    })
    expect(await sweeper.sweep()).toBeGreaterThanOrEqual(1)
    const swept = await books(deal.id)
    expect(swept).toMatchObject({ remaining: 10, redisStock: 10, unapplied: 0 })
    // The Redis side applied again (a sweep that died before marking its row): no double give-back.
    const release = { orderId, dealId: deal.id, userId: me.id, quantity: 2 }
    expect(await bed.releaser.apply(sql, release, false)).toBe('duplicate')
    expect(await books(deal.id)).toEqual(swept)
  })
})
