import { describe, expect, test } from 'bun:test'
import { apiKey, sandboxApp } from './support'

const order = { amount: 990, currency: 'EUR', metadata: { orderId: 'order-1' } }

describe('payment intents', () => {
  test('create answers a Stripe-shaped intent that retrieve finds again', async () => {
    const { call } = sandboxApp()
    const created = await call('POST', '/v1/payment_intents', order)
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({
      object: 'payment_intent',
      amount: 990,
      currency: 'eur',
      status: 'requires_payment_method',
      metadata: { orderId: 'order-1' },
      amount_received: 0,
    })
    expect(created.body.id).toMatch(/^pi_[A-Za-z0-9]{24}$/)
    const read = await call('GET', `/v1/payment_intents/${created.body.id}`)
    expect(read.body).toEqual(created.body)
    expect((await call('GET', '/v1/payment_intents/pi_unknown')).status).toBe(404)
  })

  test('pm_card_visa succeeds; confirming again is payment_intent_unexpected_state', async () => {
    const { call } = sandboxApp()
    const { body: intent } = await call('POST', '/v1/payment_intents', order)
    const paid = await call('POST', `/v1/payment_intents/${intent.id}/confirm`, {
      payment_method: 'pm_card_visa',
    })
    expect(paid.status).toBe(200)
    expect(paid.body).toMatchObject({ status: 'succeeded', amount_received: 990 })
    expect(paid.body.latest_charge).toMatch(/^ch_/)
    const again = await call('POST', `/v1/payment_intents/${intent.id}/confirm`, {
      payment_method: 'pm_card_visa',
    })
    expect(again.status).toBe(400)
    expect(again.body.code).toBe('payment_intent_unexpected_state')
    expect(again.body.payment_intent.status).toBe('succeeded')
  })

  test('pm_card_chargeDeclined is 402 card_declined and leaves the intent payable', async () => {
    const { call } = sandboxApp()
    const { body: intent } = await call('POST', '/v1/payment_intents', order)
    const declined = await call('POST', `/v1/payment_intents/${intent.id}/confirm`, {
      payment_method: 'pm_card_chargeDeclined',
    })
    expect(declined.status).toBe(402)
    expect(declined.headers.get('content-type')).toStartWith('application/problem+json')
    expect(declined.body).toMatchObject({
      type: 'urn:flash-deal:problem:card-declined',
      code: 'card_declined',
      decline_code: 'generic_decline',
    })
    const read = await call('GET', `/v1/payment_intents/${intent.id}`)
    expect(read.body.status).toBe('requires_payment_method')
    expect(read.body.amount_received).toBe(0)
    expect(read.body.last_payment_error.decline_code).toBe('generic_decline')
    const paid = await call('POST', `/v1/payment_intents/${intent.id}/confirm`, {
      payment_method: 'pm_card_visa',
    })
    expect(paid.body.status).toBe('succeeded')
    expect(paid.body.last_payment_error).toBeNull()
  })

  test('create with confirm: true charges in one call', async () => {
    const { call } = sandboxApp()
    const paid = await call('POST', '/v1/payment_intents', {
      ...order,
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    expect(paid.body.status).toBe('succeeded')
  })

  test('an unknown payment method is resource_missing and changes nothing', async () => {
    const { call } = sandboxApp()
    const { body: intent } = await call('POST', '/v1/payment_intents', order)
    const refused = await call('POST', `/v1/payment_intents/${intent.id}/confirm`, {
      payment_method: 'pm_card_bogus',
    })
    expect(refused.status).toBe(400)
    expect(refused.body).toMatchObject({ code: 'resource_missing', param: 'payment_method' })
    expect((await call('GET', `/v1/payment_intents/${intent.id}`)).body).toEqual(intent)
  })

  test('pm_card_timeout charges at once and answers late', async () => {
    const { call } = sandboxApp({ slowAnswerMs: 300 })
    const { body: intent } = await call('POST', '/v1/payment_intents', order)
    const started = performance.now()
    const confirming = call('POST', `/v1/payment_intents/${intent.id}/confirm`, {
      payment_method: 'pm_card_timeout',
    })
    await Bun.sleep(50)
    // Charged while the answer is still on its way.
    expect((await call('GET', `/v1/payment_intents/${intent.id}`)).body.status).toBe('succeeded')
    expect((await confirming).body.status).toBe('succeeded')
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
  })

  test('bad input: no key 401, wrong key 401, not JSON 415, schema 422', async () => {
    const { app, call } = sandboxApp()
    const post = (headers: Record<string, string>, body = JSON.stringify(order)) =>
      app.handle(
        new Request('http://localhost/v1/payment_intents', { method: 'POST', headers, body }),
      )
    expect((await post({ 'content-type': 'application/json' })).status).toBe(401)
    const wrong = await post({
      authorization: 'Bearer sk_test_wrong_key_0123456789',
      'content-type': 'application/json',
    })
    expect(wrong.status).toBe(401)
    expect((await wrong.json()).code).toBe('api_key_invalid')
    expect(
      (await post({ authorization: `Bearer ${apiKey}`, 'content-type': 'text/plain' })).status,
    ).toBe(415)
    for (const body of [
      { ...order, amount: 0 },
      { ...order, amount: 9.5 },
      { ...order, amount: '990' },
      { ...order, currency: 'EURO' },
      { ...order, extra: true },
    ]) {
      const refused = await call('POST', '/v1/payment_intents', body)
      expect(refused.status).toBe(422)
      expect(refused.body.type).toBe('urn:flash-deal:problem:validation')
    }
  })
})

describe('refunds', () => {
  test('whole, partial, never more than received, never of an unpaid intent', async () => {
    const { call } = sandboxApp()
    const { body: unpaid } = await call('POST', '/v1/payment_intents', order)
    const early = await call('POST', '/v1/refunds', { payment_intent: unpaid.id })
    expect(early.body.code).toBe('payment_intent_unexpected_state')
    const { body: paid } = await call('POST', '/v1/payment_intents', {
      ...order,
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    const part = await call('POST', '/v1/refunds', { payment_intent: paid.id, amount: 300 })
    expect(part.status).toBe(200)
    expect(part.body).toMatchObject({ object: 'refund', amount: 300, status: 'succeeded' })
    const tooMuch = await call('POST', '/v1/refunds', { payment_intent: paid.id, amount: 691 })
    expect(tooMuch.body.code).toBe('amount_too_large')
    const rest = await call('POST', '/v1/refunds', { payment_intent: paid.id })
    expect(rest.body.amount).toBe(690)
    const none = await call('POST', '/v1/refunds', { payment_intent: paid.id })
    expect(none.body.code).toBe('charge_already_refunded')
    expect((await call('GET', `/v1/payment_intents/${paid.id}`)).body.amount_refunded).toBe(990)
    expect((await call('GET', `/v1/refunds/${part.body.id}`)).body).toEqual(part.body)
  })
})
