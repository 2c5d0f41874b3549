/**
 * Checkout's hard cases on the real servers: a payment racing the expiry of the same order
 * (many times), the provider's answer lost then the signed webhook, forged and stale webhooks,
 * and the sandbox killed.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { queries } from '@flash-deal/db'
import { sandboxApiKey, sandboxWebhookSecret } from '@flash-deal/testing/payment-sandbox'
import { caller } from '../support'
import { checkoutBed } from './bed'

const bed = await checkoutBed({ PAYMENT_WEBHOOK_DUPLICATES: '2' })
const { call, pay, sql, buyer, liveDeal, accept, books, dueIn, expiry, sandbox } = bed
afterAll(() => bed.close())

const statusOf = async (orderId: string) => (await queries.getOrder(sql, { id: orderId }))?.status

interface SandboxEvent {
  type: string
  data: { object: { id: string; metadata?: { orderId?: string }; payment_intent?: string } }
}
async function sandboxEvents(): Promise<SandboxEvent[]> {
  const response = await fetch(`${sandbox.url}/v1/events?limit=100`, {
    headers: { authorization: `Bearer ${sandboxApiKey}` },
  })
  return ((await response.json()) as { data: SandboxEvent[] }).data
}

describe('a payment and an expiry racing on one order', () => {
  test('exactly one wins, 30 times: paid and kept, or expired, released once and refunded', async () => {
    const me = await buyer()
    const rounds = 30
    const deal = await liveDeal({ stock: rounds, perUserLimit: rounds, holdSeconds: 5 })
    const outcomes = { paid: 0, expired: 0, refunded: 0 }
    for (let round = 0; round < rounds; round++) {
      const { orderId } = await accept(deal.id, me.id)
      // payBy a few ms away: the charge and the expiry land around the same instant.
      await dueIn(orderId, (round % 6) * 8)
      const [answer] = await Promise.all([
        pay(orderId, me, `race-${round}`),
        (async () => {
          for (let i = 0; i < 8; i++) {
            await expiry.runOnce()
            await Bun.sleep(8)
          }
        })(),
      ])
      await expiry.runOnce()
      const status = await statusOf(orderId)
      const [release] = await sql`SELECT 1 FROM order_releases WHERE order_id = ${orderId}`
      const row = await queries.lockOrderForCheckout(sql, { id: orderId })
      if (status === 'paid') {
        outcomes.paid++
        expect(answer.status).toBe(200)
        expect(release).toBeUndefined()
        expect(row?.paymentReference).toMatch(/^pi_/)
      } else {
        outcomes.expired++
        expect(status).toBe('expired')
        expect(answer.status).toBe(409)
        expect((await answer.json()).type).toBe('urn:flash-deal:problem:order-expired')
        expect(release).toBeDefined()
        // Charged anyway (the charge went through before the expiry won)? Then refunded.
        const events = await sandboxEvents()
        const charged = events.find(
          (e) =>
            e.type === 'payment_intent.succeeded' && e.data.object.metadata?.orderId === orderId,
        )
        if (charged) {
          outcomes.refunded++
          const intent = charged.data.object.id
          const refunded = await bed.provider.retrieve(intent)
          expect(refunded.amountRefunded).toBe(refunded.amount)
        }
      }
    }
    console.info('payment vs expiry', outcomes)
    expect(outcomes.paid + outcomes.expired).toBe(rounds)
    const settled = await books(deal.id)
    expect(settled.paid).toBe(outcomes.paid)
    expect(settled.paid + settled.held + settled.remaining).toBe(settled.stock)
    expect(settled.redisStock + settled.unapplied).toBe(settled.remaining)
  }, 60_000)
})

describe('webhooks', () => {
  test('the answer lost (timeout): 503, still held; the signed webhook pays it; the retry is 200', async () => {
    const me = await buyer()
    const deal = await liveDeal()
    const { orderId } = await accept(deal.id, me.id)
    const lost = await pay(orderId, me, 'slow-1', 'pm_card_timeout')
    expect(lost.status).toBe(503)
    expect(lost.headers.get('retry-after')).not.toBeNull()
    expect((await lost.json()).type).toBe('urn:flash-deal:problem:payment-outcome-unknown')
    // The sandbox charged and signs its event (three deliveries: duplicates on).
    const deadline = Date.now() + 8000
    while ((await statusOf(orderId)) !== 'paid' && Date.now() < deadline) await Bun.sleep(50)
    expect(await statusOf(orderId)).toBe('paid')
    const retry = await pay(orderId, me, 'slow-1', 'pm_card_timeout')
    expect(retry.status).toBe(200)
    expect((await retry.json()).status).toBe('paid')
    const other = await pay(orderId, me, 'slow-2')
    expect(other.status).toBe(409)
    const reference = (await queries.lockOrderForCheckout(sql, { id: orderId }))?.paymentReference
    const payment = await bed.provider.retrieve(reference ?? '')
    expect(payment).toMatchObject({ status: 'succeeded', amountRefunded: 0 })
    expectOneCharge(await sandboxEvents(), orderId)
  }, 20_000)

  const sign = (payload: string, secret: string, at = Math.floor(Date.now() / 1000)) =>
    `t=${at},v1=${createHmac('sha256', secret).update(`${at}.${payload}`).digest('hex')}`
  const deliver = (payload: string, signature: string) =>
    call('POST', '/webhooks/payments', {
      body: payload,
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    })

  test('forged, stale or unsigned: 400 with the reason, and the order stays as it was', async () => {
    const me = await buyer()
    const deal = await liveDeal()
    const { orderId } = await accept(deal.id, me.id)
    const payload = JSON.stringify({
      id: 'evt_forged',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: 'pi_forged',
          object: 'payment_intent',
          amount: 4900,
          currency: 'usd',
          status: 'succeeded',
          metadata: { orderId },
        },
      },
    })
    const before = await books(deal.id)
    for (const [signature, reason] of [
      [sign(payload, 'whsec_not_the_secret_0123456789'), 'bad-signature'],
      [
        sign(payload, sandboxWebhookSecret, Math.floor(Date.now() / 1000) - 3600),
        'stale-timestamp',
      ],
      ['', 'missing-signature'],
    ] as const) {
      const answer = await deliver(payload, signature)
      expect(answer.status).toBe(400)
      const problem = await answer.json()
      expect(problem.type).toBe('urn:flash-deal:problem:webhook-signature-invalid')
      expect(problem.reason).toBe(reason)
    }
    expect(await statusOf(orderId)).toBe('confirmed')
    expect(await books(deal.id)).toEqual(before)
  })
})

/** Every paid order was charged once: one succeeded intent for it, whatever the deliveries. */
function expectOneCharge(events: SandboxEvent[], orderId: string) {
  const intents = new Set(
    events
      .filter((e) => e.type === 'payment_intent.succeeded')
      .filter((e) => e.data.object.metadata?.orderId === orderId)
      .map((e) => e.data.object.id),
  )
  expect(intents.size).toBe(1)
}

describe('the provider down', () => {
  test('sandbox killed: 503 + Retry-After and still held; back up, the same request pays', async () => {
    const me = await buyer()
    const deal = await liveDeal()
    const { orderId } = await accept(deal.id, me.id)
    await sandbox.stop('SIGKILL')
    try {
      const down = await pay(orderId, me, 'down-1')
      expect(down.status).toBe(503)
      expect(down.headers.get('retry-after')).not.toBeNull()
      expect((await down.json()).type).toBe('urn:flash-deal:problem:payment-provider-unavailable')
      expect(await statusOf(orderId)).toBe('confirmed')
    } finally {
      await sandbox.restart()
    }
    const up = await pay(orderId, me, 'down-1')
    expect(up.status).toBe(200)
    expect((await up.json()).status).toBe('paid')
  }, 20_000)

  test('Postgres down: 503 with Retry-After, nothing charged', async () => {
    const me = await buyer()
    const deal = await liveDeal()
    const { orderId } = await accept(deal.id, me.id)
    const eventsBefore = (await sandboxEvents()).length
    const answer = await caller(bed.appOn(bed.deadSql))('POST', `/v1/orders/${orderId}/payment`, {
      token: me.token,
      body: { paymentMethod: 'pm_card_visa' },
      headers: { 'idempotency-key': 'pg-down' },
    })
    expect(answer.status).toBe(503)
    expect((await sandboxEvents()).length).toBe(eventsBefore)
    expect(await statusOf(orderId)).toBe('confirmed')
  })
})
