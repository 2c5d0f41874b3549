/**
 * The payment provider port's HTTP adapter against the real sandbox process: charges, declines,
 * a lost answer followed by success, refunds, an unreachable provider, and the webhooks it
 * sends verified by the order service's verifier (signed, retried after a 500, duplicated,
 * stale or forged ones refused).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import {
  type SandboxProcess,
  sandboxApiKey,
  sandboxWebhookSecret,
  startPaymentSandbox,
  webhookReceiver,
} from '@flash-deal/testing/payment-sandbox'
import {
  PaymentAttemptConflictError,
  PaymentDeclinedError,
  PaymentProviderError,
  PaymentProviderUnavailableError,
  PaymentTimeoutError,
  UnknownPaymentMethodError,
} from '../../src/payments/errors'
import { SandboxPaymentProvider } from '../../src/payments/sandbox-provider'
import { verifyWebhook, type WebhookVerificationError } from '../../src/payments/webhook'

const hook = webhookReceiver()
let sandbox: SandboxProcess
let provider: SandboxPaymentProvider

beforeAll(async () => {
  sandbox = await startPaymentSandbox({
    PAYMENT_SANDBOX_STORE: 'memory',
    PAYMENT_WEBHOOK_URL: hook.url,
    PAYMENT_WEBHOOK_RETRY_BASE_MS: '100',
    PAYMENT_SLOW_ANSWER_MS: '2000',
  })
  provider = new SandboxPaymentProvider({
    baseUrl: sandbox.url,
    apiKey: sandboxApiKey,
    timeoutMs: 500,
  })
})
afterAll(async () => {
  await sandbox.stop('SIGKILL')
  rmSync(sandbox.stateDir, { recursive: true, force: true })
  await hook.stop()
})

const orderId = () => crypto.randomUUID()
const charge = (id: string, paymentMethod: string, attempt = 'attempt-1') => ({
  orderId: id,
  amount: 1980,
  currency: 'EUR',
  paymentMethod,
  attempt,
})

/** The deliveries for one order's payment, verified as the order service would. */
async function verifiedEventsFor(reference: string, count: number) {
  const deadline = Date.now() + 5000
  for (;;) {
    const mine = hook.deliveries.filter((delivery) => delivery.body.includes(reference))
    if (mine.length >= count || Date.now() > deadline) {
      return mine.map((delivery) =>
        verifyWebhook({
          payload: delivery.body,
          signature: delivery.signature,
          secrets: sandboxWebhookSecret,
          nowSeconds: Math.floor(Date.now() / 1000),
        }),
      )
    }
    await Bun.sleep(20)
  }
}

describe('SandboxPaymentProvider (real sandbox)', () => {
  test('pm_card_visa: succeeded, and the signed webhook says so for that order', async () => {
    const id = orderId()
    const payment = await provider.createAndConfirm(charge(id, 'pm_card_visa'))
    expect(payment).toMatchObject({
      orderId: id,
      amount: 1980,
      currency: 'EUR',
      status: 'succeeded',
    })
    expect(payment.reference).toMatch(/^pi_/)
    const [event] = await verifiedEventsFor(payment.reference, 1)
    expect(event?.type).toBe('payment_intent.succeeded')
    expect(event?.payment).toEqual(payment)
    expect(await provider.retrieve(payment.reference)).toEqual(payment)
  })

  test('never charged twice: the same attempt replays, a new attempt finds the order paid', async () => {
    const id = orderId()
    const first = await provider.createAndConfirm(charge(id, 'pm_card_visa'))
    const replayed = await provider.createAndConfirm(charge(id, 'pm_card_visa'))
    const another = await provider.createAndConfirm(charge(id, 'pm_card_mastercard', 'attempt-2'))
    expect(replayed).toEqual(first)
    expect(another.reference).toBe(first.reference)
    expect(another.status).toBe('succeeded')
    // One charge: exactly one succeeded event for this payment.
    await Bun.sleep(300)
    const events = await verifiedEventsFor(first.reference, 1)
    expect(
      new Set(events.filter((e) => e.type === 'payment_intent.succeeded').map((e) => e.id)).size,
    ).toBe(1)
  })

  test('pm_card_chargeDeclined: PaymentDeclinedError (402), then another card pays the same payment', async () => {
    const id = orderId()
    const declined = await provider
      .createAndConfirm(charge(id, 'pm_card_chargeDeclined'))
      .catch((e) => e)
    expect(declined).toBeInstanceOf(PaymentDeclinedError)
    expect(declined).toMatchObject({
      status: 402,
      declineCode: 'generic_decline',
      retryable: false,
    })
    const paid = await provider.createAndConfirm(charge(id, 'pm_card_visa', 'attempt-2'))
    expect(paid.status).toBe('succeeded')
    expect(paid.reference).toBe((declined as PaymentDeclinedError).reference)
    const types = (await verifiedEventsFor(paid.reference, 2)).map((event) => event.type)
    expect(types.sort()).toEqual(['payment_intent.payment_failed', 'payment_intent.succeeded'])
  })

  test('an unknown payment method: UnknownPaymentMethodError (422)', async () => {
    const refused = await provider
      .createAndConfirm(charge(orderId(), 'pm_card_bogus'))
      .catch((e) => e)
    expect(refused).toBeInstanceOf(UnknownPaymentMethodError)
    expect(refused.status).toBe(422)
  })

  test('the same attempt with another card: PaymentAttemptConflictError', async () => {
    const id = orderId()
    await provider.createAndConfirm(charge(id, 'pm_card_chargeDeclined')).catch(() => undefined)
    const conflict = await provider.createAndConfirm(charge(id, 'pm_card_visa')).catch((e) => e)
    expect(conflict).toBeInstanceOf(PaymentAttemptConflictError)
  })

  test('pm_card_timeout: PaymentTimeoutError (outcome unknown), yet charged once; a retry learns it', async () => {
    const id = orderId()
    const started = Date.now()
    const timedOut = await provider.createAndConfirm(charge(id, 'pm_card_timeout')).catch((e) => e)
    expect(Date.now() - started).toBeLessThan(1500)
    expect(timedOut).toBeInstanceOf(PaymentTimeoutError)
    expect(timedOut).toMatchObject({ status: 503, retryable: true })
    const reference = (timedOut as PaymentTimeoutError).reference as string
    expect(reference).toMatch(/^pi_/)
    // The money was taken: retrieve, the webhook and a retry with a new attempt all say paid.
    expect((await provider.retrieve(reference)).status).toBe('succeeded')
    const [event] = await verifiedEventsFor(reference, 1)
    expect(event?.payment?.status).toBe('succeeded')
    const retried = await provider.createAndConfirm(charge(id, 'pm_card_visa', 'attempt-2'))
    expect(retried).toMatchObject({ reference, status: 'succeeded' })
  })

  test('refund: the whole charge, once, whatever the retries', async () => {
    const id = orderId()
    const payment = await provider.createAndConfirm(charge(id, 'pm_card_visa'))
    const refund = await provider.refund({ orderId: id, reference: payment.reference })
    const again = await provider.refund({ orderId: id, reference: payment.reference })
    expect(refund).toMatchObject({ paymentReference: payment.reference, amount: 1980 })
    expect(again).toEqual(refund)
    expect((await provider.retrieve(payment.reference)).amountRefunded).toBe(1980)
    const events = await verifiedEventsFor(refund.reference, 1)
    expect(events.map((event) => event.refund)).toEqual([refund])
  })

  test('a wrong API key is a PaymentProviderError (502), not a decline', async () => {
    const wrongKey = new SandboxPaymentProvider({
      baseUrl: sandbox.url,
      apiKey: 'sk_test_not_the_key_0000',
      timeoutMs: 500,
    })
    const refused = await wrongKey
      .createAndConfirm(charge(orderId(), 'pm_card_visa'))
      .catch((e) => e)
    expect(refused).toBeInstanceOf(PaymentProviderError)
    expect(refused).toMatchObject({ status: 502, providerStatus: 401 })
  })
})

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
      const client = new SandboxPaymentProvider({
        baseUrl: other.url,
        apiKey: sandboxApiKey,
        timeoutMs: 500,
      })
      const payment = await client.createAndConfirm(charge(orderId(), 'pm_card_visa'))
      // The 500, the retry, and one duplicate.
      const deliveries = await flaky.waitFor(3)
      expect(deliveries.map((delivery) => delivery.answered)).toEqual([500, 200, 200])
      const events = deliveries.map((delivery) =>
        verifyWebhook({
          payload: delivery.body,
          signature: delivery.signature,
          secrets: sandboxWebhookSecret,
          nowSeconds: Math.floor(Date.now() / 1000),
        }),
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
    const payment = await provider.createAndConfirm(charge(orderId(), 'pm_card_visa'))
    await verifiedEventsFor(payment.reference, 1)
    const delivery = hook.deliveries.find((d) => d.body.includes(payment.reference))
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
    const down = new SandboxPaymentProvider({
      baseUrl: 'http://127.0.0.1:1',
      apiKey: sandboxApiKey,
      timeoutMs: 500,
    })
    const refused = await down.createAndConfirm(charge(orderId(), 'pm_card_visa')).catch((e) => e)
    expect(refused).toBeInstanceOf(PaymentProviderUnavailableError)
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBe('2')
  })

  test('a killed sandbox: unavailable while down; after a restart on its journal, the order is found paid', async () => {
    const durable = await startPaymentSandbox({ PAYMENT_SANDBOX_STORE: 'file' })
    const id = orderId()
    try {
      const client = new SandboxPaymentProvider({
        baseUrl: durable.url,
        apiKey: sandboxApiKey,
        timeoutMs: 500,
      })
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
        const again = new SandboxPaymentProvider({
          baseUrl: back.url,
          apiKey: sandboxApiKey,
          timeoutMs: 500,
        })
        expect(await again.createAndConfirm(charge(id, 'pm_card_visa', 'attempt-2'))).toEqual(paid)
      } finally {
        await back.stop('SIGKILL')
      }
    } finally {
      rmSync(durable.stateDir, { recursive: true, force: true })
    }
  })
})
