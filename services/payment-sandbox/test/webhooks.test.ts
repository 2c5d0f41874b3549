/**
 * The sandbox's webhooks, from the real process: signed, retried after a receiver's 500, given
 * up, duplicated on request; and the late answer of pm_card_timeout.
 */
import { describe, expect, test } from 'bun:test'
import { sandboxApiKey } from '@flash-deal/testing/payment-sandbox'
import {
  expectSignedByScheme,
  pay,
  post,
  receiver,
  sandbox,
  stopEverythingAfterEach,
} from './process-support'

stopEverythingAfterEach()

describe('payment sandbox webhooks (real process)', () => {
  test('a confirmation is sent to the webhook URL, signed with the shared secret', async () => {
    const hook = receiver()
    const { url } = await sandbox({ PAYMENT_WEBHOOK_URL: hook.url })
    const paid = await pay(url, 'order-signed')
    expect(paid.status).toBe(200)
    const [delivery] = await hook.waitFor(1)
    expectSignedByScheme(delivery?.signature ?? null, delivery?.body ?? '')
    const [{ event } = { event: undefined }] = hook.events('payment_intent.succeeded')
    expect(event?.data.object).toMatchObject({
      id: paid.body.id,
      status: 'succeeded',
      metadata: { orderId: 'order-signed' },
    })
    expect(event?.id).toMatch(/^evt_/)
    // The same event is readable from the API (what a receiver that missed it catches up from).
    const read = await fetch(`${url}/v1/events/${event?.id}`, {
      headers: { authorization: `Bearer ${sandboxApiKey}` },
    })
    expect(await read.text()).toBe(delivery?.body ?? '')
  })

  test('a receiver answering 500 gets the same event again, freshly signed, until it takes it', async () => {
    const hook = receiver([500, 503])
    const sandboxProcess = await sandbox({
      PAYMENT_WEBHOOK_URL: hook.url,
      PAYMENT_WEBHOOK_RETRY_BASE_MS: '200',
    })
    await pay(sandboxProcess.url, 'order-retried')
    const deliveries = await hook.waitFor(3)
    await Bun.sleep(300)
    expect(deliveries.map((delivery) => delivery.answered)).toEqual([500, 503, 200])
    expect(new Set(deliveries.map((delivery) => delivery.body)).size).toBe(1)
    for (const delivery of deliveries) expectSignedByScheme(delivery.signature, delivery.body)
    // Backoff: 200 ms, then 400 ms.
    const [first, second, third] = deliveries.map((delivery) => delivery.receivedAt)
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(180)
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(380)
    expect(sandboxProcess.logs('webhook failed, retrying').map((line) => line.reason)).toEqual([
      'answered 500',
      'answered 503',
    ])
  })

  test('an unreachable receiver is retried, then given up after the last attempt', async () => {
    const sandboxProcess = await sandbox({
      PAYMENT_WEBHOOK_URL: 'http://127.0.0.1:1/webhooks',
      PAYMENT_WEBHOOK_RETRY_BASE_MS: '20',
      PAYMENT_WEBHOOK_MAX_ATTEMPTS: '3',
    })
    await pay(sandboxProcess.url, 'order-unreachable')
    const deadline = Date.now() + 5000
    while (sandboxProcess.logs('webhook given up').length === 0 && Date.now() < deadline)
      await Bun.sleep(20)
    expect(sandboxProcess.logs('webhook failed, retrying')).toHaveLength(2)
    expect(sandboxProcess.logs('webhook given up')).toHaveLength(1)
  })

  test('PAYMENT_WEBHOOK_DUPLICATES sends every event that many extra times, same id', async () => {
    const hook = receiver()
    const { url } = await sandbox({
      PAYMENT_WEBHOOK_URL: hook.url,
      PAYMENT_WEBHOOK_DUPLICATES: '2',
    })
    await pay(url, 'order-duplicated')
    const deliveries = await hook.waitFor(3)
    await Bun.sleep(200)
    expect(deliveries).toHaveLength(3)
    const ids = hook.events().map(({ event }) => event.id)
    expect(new Set(ids).size).toBe(1)
    for (const delivery of deliveries) expectSignedByScheme(delivery.signature, delivery.body)
  })

  test('a decline is sent as payment_intent.payment_failed, a refund as refund.created', async () => {
    const hook = receiver()
    const { url } = await sandbox({ PAYMENT_WEBHOOK_URL: hook.url })
    const declined = await pay(url, 'order-declined', 'pm_card_chargeDeclined')
    expect(declined.status).toBe(402)
    const paid = await pay(url, 'order-refunded')
    expect((await post(url, '/v1/refunds', { payment_intent: paid.body.id })).status).toBe(200)
    await hook.waitFor(3)
    expect(
      hook
        .events()
        .map(({ event }) => event.type)
        .sort(),
    ).toEqual(['payment_intent.payment_failed', 'payment_intent.succeeded', 'refund.created'])
  })

  test('pm_card_timeout: charged and announced at once, the answer comes after PAYMENT_SLOW_ANSWER_MS', async () => {
    const hook = receiver()
    const { url } = await sandbox({ PAYMENT_WEBHOOK_URL: hook.url, PAYMENT_SLOW_ANSWER_MS: '1500' })
    const started = Date.now()
    const answer = await pay(url, 'order-timeout', 'pm_card_timeout')
    expect(answer.status).toBe(200)
    const answeredAfter = Date.now() - started
    expect(answeredAfter).toBeGreaterThanOrEqual(1400)
    // The webhook arrived long before the answer did.
    const [delivery] = await hook.waitFor(1)
    expect((delivery?.receivedAt ?? Number.POSITIVE_INFINITY) - started).toBeLessThan(1000)
    const client = await post(url, '/v1/payment_intents', { amount: 5, currency: 'eur' })
    const { id } = (await client.json()) as { id: string }
    const aborted = await fetch(`${url}/v1/payment_intents/${id}/confirm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandboxApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ payment_method: 'pm_card_timeout' }),
      signal: AbortSignal.timeout(300),
    }).then(
      () => 'answered',
      (error: Error) => error.name,
    )
    expect(aborted).toBe('TimeoutError')
    const read = await fetch(`${url}/v1/payment_intents/${id}`, {
      headers: { authorization: `Bearer ${sandboxApiKey}` },
    })
    expect(((await read.json()) as { status: string }).status).toBe('succeeded')
  })
})
