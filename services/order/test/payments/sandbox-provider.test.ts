/**
 * The payment provider port's HTTP adapter against the real sandbox process: charges, declines,
 * a lost answer followed by success, one charge per order, refunds, a wrong key.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import {
  AmountNotPayableError,
  PaymentAttemptConflictError,
  PaymentDeclinedError,
  PaymentProviderError,
  PaymentTimeoutError,
  UnknownPaymentMethodError,
} from '../../src/payments/errors'
import { charge, orderId, providerFor, sandboxWithWebhooks } from './support'

let bed: Awaited<ReturnType<typeof sandboxWithWebhooks>>
beforeAll(async () => {
  bed = await sandboxWithWebhooks({ PAYMENT_SLOW_ANSWER_MS: '2000' })
})
afterAll(() => bed.stop())

describe('SandboxPaymentProvider (real sandbox)', () => {
  test('pm_card_visa: succeeded, and the signed webhook says so for that order', async () => {
    const id = orderId()
    const payment = await bed.provider.createAndConfirm(charge(id, 'pm_card_visa'))
    expect(payment).toMatchObject({
      orderId: id,
      amount: 1980,
      currency: 'EUR',
      status: 'succeeded',
    })
    expect(payment.reference).toMatch(/^pi_/)
    const [event] = await bed.eventsFor(payment.reference, 1)
    expect(event?.type).toBe('payment_intent.succeeded')
    expect(event?.payment).toEqual(payment)
    expect(await bed.provider.retrieve(payment.reference)).toEqual(payment)
  })

  test('never charged twice: the same attempt replays, a new attempt finds the order paid', async () => {
    const id = orderId()
    const first = await bed.provider.createAndConfirm(charge(id, 'pm_card_visa'))
    const replayed = await bed.provider.createAndConfirm(charge(id, 'pm_card_visa'))
    const another = await bed.provider.createAndConfirm(
      charge(id, 'pm_card_mastercard', 'attempt-2'),
    )
    expect(replayed).toEqual(first)
    expect(another.reference).toBe(first.reference)
    expect(another.status).toBe('succeeded')
    // One charge: exactly one succeeded event for this payment.
    await Bun.sleep(300)
    const events = await bed.eventsFor(first.reference, 1)
    expect(
      new Set(events.filter((e) => e.type === 'payment_intent.succeeded').map((e) => e.id)).size,
    ).toBe(1)
  })

  test('pm_card_chargeDeclined: PaymentDeclinedError (402), then another card pays the same payment', async () => {
    const id = orderId()
    const declined = await bed.provider
      .createAndConfirm(charge(id, 'pm_card_chargeDeclined'))
      .catch((e) => e)
    expect(declined).toBeInstanceOf(PaymentDeclinedError)
    expect(declined).toMatchObject({
      status: 402,
      declineCode: 'generic_decline',
      retryable: false,
    })
    const paid = await bed.provider.createAndConfirm(charge(id, 'pm_card_visa', 'attempt-2'))
    expect(paid.status).toBe('succeeded')
    expect(paid.reference).toBe((declined as PaymentDeclinedError).reference)
    const types = (await bed.eventsFor(paid.reference, 2)).map((event) => event.type)
    expect(types.sort()).toEqual(['payment_intent.payment_failed', 'payment_intent.succeeded'])
  })

  test('a declined attempt retried after another one paid answers the payment, not the decline', async () => {
    const id = orderId()
    await bed.provider
      .createAndConfirm(charge(id, 'pm_card_chargeDeclined', 'first'))
      .catch(() => {})
    const paid = await bed.provider.createAndConfirm(charge(id, 'pm_card_visa', 'second'))
    expect(
      await bed.provider.createAndConfirm(charge(id, 'pm_card_chargeDeclined', 'first')),
    ).toEqual(paid)
  })

  test('an unknown payment method: UnknownPaymentMethodError (422)', async () => {
    const refused = await bed.provider
      .createAndConfirm(charge(orderId(), 'pm_card_bogus'))
      .catch((e) => e)
    expect(refused).toBeInstanceOf(UnknownPaymentMethodError)
    expect(refused.status).toBe(422)
  })

  test('more than the provider charges at once: AmountNotPayableError (422), not a 502', async () => {
    const refused = await bed.provider
      .createAndConfirm({ ...charge(orderId(), 'pm_card_visa'), amount: 100_000_000 })
      .catch((e) => e)
    expect(refused).toBeInstanceOf(AmountNotPayableError)
    expect(refused.status).toBe(422)
  })

  test('the same attempt with another card: PaymentAttemptConflictError', async () => {
    const id = orderId()
    await bed.provider.createAndConfirm(charge(id, 'pm_card_chargeDeclined')).catch(() => undefined)
    const conflict = await bed.provider.createAndConfirm(charge(id, 'pm_card_visa')).catch((e) => e)
    expect(conflict).toBeInstanceOf(PaymentAttemptConflictError)
  })

  test('pm_card_timeout: PaymentTimeoutError (outcome unknown), yet charged once; a retry learns it', async () => {
    const id = orderId()
    const started = Date.now()
    const timedOut = await bed.provider
      .createAndConfirm(charge(id, 'pm_card_timeout'))
      .catch((e) => e)
    expect(Date.now() - started).toBeLessThan(1500)
    expect(timedOut).toBeInstanceOf(PaymentTimeoutError)
    expect(timedOut).toMatchObject({ status: 503, retryable: true })
    const reference = (timedOut as PaymentTimeoutError).reference as string
    expect(reference).toMatch(/^pi_/)
    // The money was taken: retrieve, the webhook and a retry with a new attempt all say paid.
    expect((await bed.provider.retrieve(reference)).status).toBe('succeeded')
    const [event] = await bed.eventsFor(reference, 1)
    expect(event?.payment?.status).toBe('succeeded')
    const retried = await bed.provider.createAndConfirm(charge(id, 'pm_card_visa', 'attempt-2'))
    expect(retried).toMatchObject({ reference, status: 'succeeded' })
  })

  test('refund: the whole charge, once, whatever the retries', async () => {
    const id = orderId()
    const payment = await bed.provider.createAndConfirm(charge(id, 'pm_card_visa'))
    const refund = await bed.provider.refund({ orderId: id, reference: payment.reference })
    const again = await bed.provider.refund({ orderId: id, reference: payment.reference })
    expect(refund).toMatchObject({ paymentReference: payment.reference, amount: 1980 })
    expect(again).toEqual(refund)
    expect((await bed.provider.retrieve(payment.reference)).amountRefunded).toBe(1980)
    const events = await bed.eventsFor(refund.reference, 1)
    expect(events.map((event) => event.refund)).toEqual([refund])
  })

  test('a wrong API key is a PaymentProviderError (502), not a decline', async () => {
    const wrongKey = providerFor(bed.sandbox.url, { apiKey: 'sk_test_not_the_key_0000' })
    const refused = await wrongKey
      .createAndConfirm(charge(orderId(), 'pm_card_visa'))
      .catch((e) => e)
    expect(refused).toBeInstanceOf(PaymentProviderError)
    expect(refused).toMatchObject({ status: 502, providerStatus: 401 })
  })
})
