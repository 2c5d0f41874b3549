/**
 * Invariant 4 on the real servers: a spike where some buyers never pay ends, after the window,
 * with the released units bought by others, nobody above the per-user limit, and the books
 * balanced in both stores (the reconciler agrees).
 */
import { afterAll, expect, test } from 'bun:test'
import { queries } from '@flash-deal/db'
import { testReconciler } from '../support'
import { checkoutBed } from './bed'

const bed = await checkoutBed()
const { pay, sql, redis, buyer, liveDeal, accept, books, dueIn, expiry } = bed
afterAll(() => bed.close())

/** Everyone tries to buy 2 at once; the orders accepted, by buyer. */
async function spike(dealId: string, crowd: Awaited<ReturnType<typeof buyer>>[]) {
  const tries = await Promise.allSettled(
    crowd.map(async (who) => ({ who, ...(await accept(dealId, who.id, 2)) })),
  )
  return tries.flatMap((t) => (t.status === 'fulfilled' ? [t.value] : []))
}

test('unpaid holds expire and are sold again; limits hold; the stores agree', async () => {
  const deal = await liveDeal({ stock: 10, perUserLimit: 2, holdSeconds: 5 })
  const first = await Promise.all(Array.from({ length: 8 }, () => buyer()))
  const accepted = await spike(deal.id, first)
  expect(accepted).toHaveLength(5)
  // Held + paid never above stock: sold out while held.
  expect(await books(deal.id)).toMatchObject({ held: 10, remaining: 0, redisStock: 0 })

  const [payers, nonPayers] = [accepted.slice(0, 3), accepted.slice(3)]
  const paid = await Promise.all(
    payers.map(({ who, orderId }) => pay(orderId, who, `spike-${orderId}`)),
  )
  expect(paid.map((r) => r.status)).toEqual([200, 200, 200])
  for (const { orderId } of nonPayers) await dueIn(orderId, -1000)
  await expiry.runOnce()
  expect(await books(deal.id)).toMatchObject({ paid: 6, held: 0, remaining: 4, redisStock: 4 })

  // A second crowd: the 4 released units go to 2 new buyers; the ones who expired may buy again.
  const second = await Promise.all(Array.from({ length: 6 }, () => buyer()))
  const resold = await spike(deal.id, [...second, ...nonPayers.map((o) => o.who)])
  expect(resold).toHaveLength(2)
  const settled = await books(deal.id)
  expect(settled).toMatchObject({ paid: 6, held: 4, remaining: 0, redisStock: 0, unapplied: 0 })
  expect(settled.paid + settled.held + settled.remaining).toBe(settled.stock)

  // Nobody above the limit, in Redis and in Postgres (held + paid).
  for (const units of Object.values(settled.buyers)) expect(Number(units)).toBeLessThanOrEqual(2)
  const rows = await queries.listDealOrders(sql, { dealId: deal.id })
  const perUser = new Map<string, number>()
  for (const row of rows.filter((r) => r.status === 'confirmed' || r.status === 'paid'))
    perUser.set(row.userId, (perUser.get(row.userId) ?? 0) + row.quantity)
  for (const units of perUser.values()) expect(units).toBeLessThanOrEqual(2)
  for (const [userId, units] of perUser) expect(Number(settled.buyers[userId])).toBe(units)

  const report = await testReconciler(sql, redis).reconcile()
  const mine = report.deals.find((d) => d.dealId === deal.id)
  expect(mine).toMatchObject({ redisStock: 0, postgresRemaining: 0, drift: 0 })
}, 30_000)

test('the reconciler counts a release Redis has not been given yet as in flight, not drift', async () => {
  const me = await buyer()
  const deal = await liveDeal()
  const { orderId } = await accept(deal.id, me.id, 2)
  await sql.begin((tx) => bed.releaser.decide(tx, orderId, 'cancelled'))
  const reconciler = testReconciler(sql, redis)
  const before = (await reconciler.reconcile()).deals.find((d) => d.dealId === deal.id)
  expect(before).toMatchObject({ redisStock: 8, postgresRemaining: 10, drift: 0 })
  await bed.releaser.applySoon([{ orderId, dealId: deal.id, userId: me.id, quantity: 2 }])
  const after = (await reconciler.reconcile()).deals.find((d) => d.dealId === deal.id)
  expect(after).toMatchObject({ redisStock: 10, postgresRemaining: 10, drift: 0 })
})
