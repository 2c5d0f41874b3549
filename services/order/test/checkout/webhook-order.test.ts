/**
 * Webhooks out of order and again, on the real sandbox: its own events, taken back from its
 * event log, signed afresh with the endpoint secret (as its retries are) and delivered to the
 * order service newest first, then once more. Applied by the order's state, they change nothing
 * more: a paid order stays paid with its one charge; a charge that came after an expiry stays
 * refunded once, and the released units are not released again.
 */
import { afterAll, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { queries } from '@flash-deal/db'
import { sandboxApiKey, sandboxWebhookSecret } from '@flash-deal/testing/payment-sandbox'
import { checkoutBed } from './bed'

const bed = await checkoutBed()
const { call, sql, buyer, liveDeal, accept, books, dueIn, expiry, sandbox, provider } = bed
afterAll(() => bed.close())

interface SandboxEvent {
  id: string
  type: string
  data: { object: { id: string; metadata?: { orderId?: string }; payment_intent?: string } }
}

/** The sandbox's events about one order, newest first. */
async function eventsAbout(orderId: string, reference?: string) {
  const response = await fetch(`${sandbox.url}/v1/events?limit=100`, {
    headers: { authorization: `Bearer ${sandboxApiKey}` },
  })
  const { data } = (await response.json()) as { data: SandboxEvent[] }
  return data.filter(
    (e) =>
      e.data.object.metadata?.orderId === orderId ||
      (reference !== undefined && e.data.object.payment_intent === reference),
  )
}

/** One event delivered as the sandbox would: the raw body, signed now with the endpoint secret. */
async function deliver(event: SandboxEvent) {
  const payload = JSON.stringify(event)
  const at = Math.floor(Date.now() / 1000)
  const v1 = createHmac('sha256', sandboxWebhookSecret).update(`${at}.${payload}`).digest('hex')
  const answer = await call('POST', '/webhooks/payments', {
    body: payload,
    headers: { 'content-type': 'application/json', 'stripe-signature': `t=${at},v1=${v1}` },
  })
  expect(answer.status).toBe(200)
}

/** Newest first, then oldest first: every order of delivery there is for two or three events. */
async function replayOutOfOrder(events: SandboxEvent[]) {
  for (const event of events) await deliver(event)
  for (const event of [...events].reverse()) await deliver(event)
}

const checkoutRow = async (orderId: string) => queries.lockOrderForCheckout(sql, { id: orderId })

test('a decline, then a success: replayed newest first and again, the order stays paid, charged once', async () => {
  const me = await buyer()
  const deal = await liveDeal()
  const { orderId } = await accept(deal.id, me.id)
  const payWith = (key: string, paymentMethod: string) => bed.pay(orderId, me, key, paymentMethod)
  expect((await payWith('first-card', 'pm_card_chargeDeclined')).status).toBe(402)
  expect((await payWith('second-card', 'pm_card_visa')).status).toBe(200)
  const paid = await checkoutRow(orderId)
  const before = await books(deal.id)

  const events = await eventsAbout(orderId)
  expect(events.map((e) => e.type).sort()).toEqual([
    'payment_intent.payment_failed',
    'payment_intent.succeeded',
  ])
  await replayOutOfOrder(events)

  const after = await checkoutRow(orderId)
  expect(after).toMatchObject({ status: 'paid', paymentReference: paid?.paymentReference })
  expect(await books(deal.id)).toEqual(before)
  const payment = await provider.retrieve(paid?.paymentReference ?? '')
  expect(payment).toMatchObject({ status: 'succeeded', amountRefunded: 0 })
  const charges = (await eventsAbout(orderId)).filter((e) => e.type === 'payment_intent.succeeded')
  expect(charges.length).toBe(1)
})

test('a charge after the expiry, refunded: its events replayed out of order release nothing more', async () => {
  const me = await buyer()
  const deal = await liveDeal()
  const { orderId } = await accept(deal.id, me.id, 2)
  await dueIn(orderId, -1000)
  expect((await expiry.runOnce()).map((release) => release.orderId)).toContain(orderId)
  const released = await books(deal.id)

  // The provider charges the expired order anyway (a payment already on its way): the order
  // service hears it by webhook and refunds it, since the expiry won.
  const row = await checkoutRow(orderId)
  const charge = await provider.createAndConfirm({
    orderId,
    amount: 2 * (row?.unitPrice ?? 0),
    currency: row?.currency ?? 'USD',
    paymentMethod: 'pm_card_visa',
    attempt: 'late',
  })
  const refundedNow = async () => (await provider.retrieve(charge.reference)).amountRefunded
  const deadline = Date.now() + 8000
  while ((await refundedNow()) === 0 && Date.now() < deadline) await Bun.sleep(50)
  expect(await refundedNow()).toBe(charge.amount)

  const events = await eventsAbout(orderId, charge.reference)
  expect(events.map((e) => e.type).sort()).toEqual(['payment_intent.succeeded', 'refund.created'])
  await replayOutOfOrder(events)

  expect((await checkoutRow(orderId))?.status).toBe('expired')
  expect(await books(deal.id)).toEqual(released)
  const payment = await provider.retrieve(charge.reference)
  // Refunded once: the whole amount, not twice it (the refund key is the order's).
  expect(payment.amountRefunded).toBe(payment.amount)
  const refunds = (await eventsAbout(orderId, charge.reference)).filter(
    (e) => e.type === 'refund.created',
  )
  expect(refunds.length).toBe(1)
})
