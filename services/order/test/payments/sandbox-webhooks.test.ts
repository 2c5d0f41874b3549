/**
 * The sandbox's webhooks read by the order service's adapter (signed, retried after a 500,
 * duplicated; stale or forged ones refused), and the adapter when the provider is down.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import {
  sandboxWebhookSecret,
  startPaymentSandbox,
  webhookReceiver,
} from '@flash-deal/testing/payment-sandbox'
import { PaymentProviderUnavailableError } from '../../src/payments/errors'
import { verifyWebhook, type WebhookVerificationError } from '../../src/payments/webhook'
import { charge, orderId, providerFor, sandboxWithWebhooks } from './support'

let bed: Awaited<ReturnType<typeof sandboxWithWebhooks>>
beforeAll(async () => {
  bed = await sandboxWithWebhooks()
})
afterAll(() => bed.stop())

describe('webhooks from the sandbox, verified by the order service', () => {
  test('a receiver that answered 500 gets the event again, and the retry verifies', async () => {
    const flaky = webhookReceiver([500])
    const other = await startPaymentSandbox({
      PAYMENT_SANDBOX_STORE: 'memory',
      PAYMENT_WEBHOOK_URL: flaky.url,
      PAYMENT_WEBHOOK_RETRY_BASE_MS: '100',
      PAYMENT_WEBHOOK_DUPLICATES: '1',
    })
    try {
      const client = providerFor(other.url)
      const payment = await client.createAndConfirm(charge(orderId(), 'pm_card_visa'))
      // The 500, the retry, and one duplicate.
      const deliveries = await flaky.waitFor(3)
      expect(deliveries.map((delivery) => delivery.answered)).toEqual([500, 200, 200])
      // Each one freshly signed: the retry and the duplicate pass the replay window as well.
      const events = deliveries.map((delivery) =>
        client.readWebhook({ payload: delivery.body, signature: delivery.signature }),
      )
      expect(new Set(events.map((event) => event.id)).size).toBe(1)
      expect(events.every((event) => event.payment?.reference === payment.reference)).toBe(true)
    } finally {
      await other.stop('SIGKILL')
      rmSync(other.stateDir, { recursive: true, force: true })
      await flaky.stop()
    }
  })

  test('a real delivery replayed after the window, or under another secret, is refused', async () => {
    const payment = await bed.provider.createAndConfirm(charge(orderId(), 'pm_card_visa'))
    await bed.eventsFor(payment.reference, 1)
    const delivery = bed.hook.deliveries.find((d) => d.body.includes(payment.reference))
    expect(delivery).toBeDefined()
    const verify = (
      nowSeconds: number,
      secrets = sandboxWebhookSecret,
      payload = delivery?.body ?? '',
    ) => {
      try {
        verifyWebhook({ payload, signature: delivery?.signature, secrets, nowSeconds })
        return 'accepted'
      } catch (error) {
        return (error as WebhookVerificationError).reason
      }
    }
    const now = Math.floor(Date.now() / 1000)
    expect(verify(now)).toBe('accepted')
    expect(verify(now + 301)).toBe('stale-timestamp')
    expect(verify(now, 'whsec_an_attackers_guess_00000000')).toBe('bad-signature')
    expect(
      verify(now, sandboxWebhookSecret, (delivery?.body ?? '').replace('succeeded', 'canceled')),
    ).toBe('bad-signature')
  })
})

describe('provider unavailable', () => {
  test('nothing listening: PaymentProviderUnavailableError (503, Retry-After)', async () => {
    const down = providerFor('http://127.0.0.1:1')
    const refused = await down.createAndConfirm(charge(orderId(), 'pm_card_visa')).catch((e) => e)
    expect(refused).toBeInstanceOf(PaymentProviderUnavailableError)
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBe('2')
  })

  test('a killed sandbox: unavailable while down; after a restart on its journal, the order is found paid', async () => {
    const durable = await startPaymentSandbox({ PAYMENT_SANDBOX_STORE: 'file' })
    const id = orderId()
    try {
      const client = providerFor(durable.url)
      const paid = await client.createAndConfirm(charge(id, 'pm_card_visa'))
      await durable.stop('SIGKILL')
      const down = await client
        .createAndConfirm(charge(id, 'pm_card_visa', 'attempt-2'))
        .catch((e) => e)
      expect(down).toBeInstanceOf(PaymentProviderUnavailableError)
      const back = await startPaymentSandbox({
        PAYMENT_SANDBOX_STORE: 'file',
        FLASH_STATE_DIR: durable.stateDir,
      })
      try {
        const again = providerFor(back.url)
        expect(await again.createAndConfirm(charge(id, 'pm_card_visa', 'attempt-2'))).toEqual(paid)
      } finally {
        await back.stop('SIGKILL')
      }
    } finally {
      rmSync(durable.stateDir, { recursive: true, force: true })
    }
  })
})
