/**
 * `applyOrders`, the consumer's batch transaction, against the real Postgres: exactly once per
 * order id, stock taken by what was inserted now, never below zero.
 */
import { afterAll, expect, test } from 'bun:test'
import { connect, queries } from '@flash-deal/db'
import { testEnv } from '@flash-deal/testing'
import { applyOrders } from '../src/consumer/apply-orders'
import { accepted } from './order-events'
import { fixtures } from './support'

const sql = connect(testEnv.databaseUrl)
const { user, deal, stockRemaining } = fixtures(sql)
afterAll(() => sql.end())

const statusOf = async (orderId: string) => (await queries.getOrder(sql, { id: orderId }))?.status

test('a batch inserts each order once and takes the stock; applying it again changes nothing', async () => {
  const { id: dealId } = await deal({ stock: 10 })
  const buyer = await user()
  const events = [accepted(dealId, buyer.id, 2), accepted(dealId, buyer.id, 1)]
  const first = await sql.begin((tx) => applyOrders(tx, events))
  expect(first.confirmed).toHaveLength(2)
  expect(await stockRemaining(dealId)).toBe(7)
  for (const event of events) expect(await statusOf(event.orderId)).toBe('confirmed')

  const again = await sql.begin((tx) => applyOrders(tx, events))
  expect(again.confirmed).toHaveLength(0)
  expect(again.duplicates).toBe(2)
  expect(await stockRemaining(dealId)).toBe(7)
})

test('the same order twice in one batch is inserted once', async () => {
  const { id: dealId } = await deal({ stock: 10 })
  const event = accepted(dealId, (await user()).id)
  const applied = await sql.begin((tx) => applyOrders(tx, [event, event]))
  expect(applied.confirmed).toHaveLength(1)
  expect(applied.duplicates).toBe(1)
  expect(await stockRemaining(dealId)).toBe(9)
})

test('unknown deal or user: poison, and the rest of the batch still applies', async () => {
  const { id: dealId } = await deal({ stock: 5 })
  const buyer = await user()
  const good = accepted(dealId, buyer.id)
  const noDeal = accepted(crypto.randomUUID(), buyer.id)
  const noUser = accepted(dealId, crypto.randomUUID())
  const applied = await sql.begin((tx) => applyOrders(tx, [good, noDeal, noUser]))
  expect(applied.confirmed.map((e) => e.orderId)).toEqual([good.orderId])
  expect(applied.poison.map((p) => p.reason)).toEqual([
    `unknown deal ${noDeal.dealId}`,
    `unknown user ${noUser.userId}`,
  ])
  expect(await stockRemaining(dealId)).toBe(4)
  expect(await statusOf(noUser.orderId)).toBeUndefined()
})

test('more accepted than Postgres has left: the rest is rejected, the stock never goes negative', async () => {
  const { id: dealId } = await deal({ stock: 3, perUserLimit: 3 })
  const events = await Promise.all(
    [2, 2, 1].map(async (q) => accepted(dealId, (await user()).id, q)),
  )
  const applied = await sql.begin((tx) => applyOrders(tx, events))
  expect(applied.confirmed.map((e) => e.quantity)).toEqual([2, 1])
  expect(applied.rejected.map((e) => e.orderId)).toEqual([events[1]?.orderId as string])
  expect(await stockRemaining(dealId)).toBe(0)
  expect(await statusOf(events[1]?.orderId as string)).toBe('rejected')
})
