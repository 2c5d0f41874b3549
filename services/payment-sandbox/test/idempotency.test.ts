import { describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { recordingLogger, repoRoot, uniqueSuffix } from '@flash-deal/testing'
import { StripeError } from '../src/errors'
import { IdempotencyLedger } from '../src/idempotency/ledger'
import { SandboxStore } from '../src/store/store'
import { sandboxApp } from './support'

const order = { amount: 990, currency: 'EUR', metadata: { orderId: 'order-1' } }
const key = (name: string) => ({ 'idempotency-key': `${name}-${uniqueSuffix()}` })

describe('Idempotency-Key, as Stripe honours it', () => {
  test('the same key and parameters answer the same intent, whatever the key order', async () => {
    const { call, store } = sandboxApp()
    const headers = key('create')
    const first = await call('POST', '/v1/payment_intents', order, headers)
    const reordered = JSON.stringify({
      metadata: { orderId: 'order-1' },
      currency: 'EUR',
      amount: 990,
    })
    const again = await call('POST', '/v1/payment_intents', reordered, headers)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.body).toEqual(first.body)
    expect(store.intents.size).toBe(1)
  })

  test('the same key with other parameters, or on another endpoint, is 400 idempotency_error', async () => {
    const { call, store } = sandboxApp()
    const headers = key('create')
    const first = await call('POST', '/v1/payment_intents', order, headers)
    const other = await call('POST', '/v1/payment_intents', { ...order, amount: 991 }, headers)
    expect(other.status).toBe(400)
    expect(other.body).toMatchObject({
      code: 'idempotency_error',
      type: 'urn:flash-deal:problem:idempotency-error',
    })
    const elsewhere = await call(
      'POST',
      `/v1/payment_intents/${first.body.id}/confirm`,
      { payment_method: 'pm_card_visa' },
      headers,
    )
    expect(elsewhere.body.code).toBe('idempotency_error')
    expect(store.intents.size).toBe(1)
    expect((await call('GET', `/v1/payment_intents/${first.body.id}`)).body.status).toBe(
      'requires_payment_method',
    )
  })

  test('a decline is saved too: the same key answers the same 402 and charges nothing', async () => {
    const { call, store } = sandboxApp()
    const { body: intent } = await call('POST', '/v1/payment_intents', order)
    const headers = key('confirm')
    const pay = { payment_method: 'pm_card_chargeDeclined' }
    const first = await call('POST', `/v1/payment_intents/${intent.id}/confirm`, pay, headers)
    const again = await call('POST', `/v1/payment_intents/${intent.id}/confirm`, pay, headers)
    expect([first.status, again.status]).toEqual([402, 402])
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.body.decline_code).toBe('generic_decline')
    // One decline happened, not two: one payment_failed event.
    expect([...store.events.values()].map((event) => event.type)).toEqual([
      'payment_intent.payment_failed',
    ])
  })

  test('a success replayed charges once: one succeeded event, one charge id', async () => {
    const { call, store } = sandboxApp()
    const { body: intent } = await call('POST', '/v1/payment_intents', order)
    const headers = key('confirm')
    const pay = { payment_method: 'pm_card_visa' }
    const confirm = () => call('POST', `/v1/payment_intents/${intent.id}/confirm`, pay, headers)
    // At once: the first runs, any other still arriving meanwhile is told the key is in use.
    const answers = await Promise.all([1, 2, 3, 4].map(confirm))
    for (const answer of answers) {
      if (answer.status !== 200) expect(answer.body.code).toBe('idempotency_key_in_use')
    }
    const retried = await confirm()
    expect(retried.status).toBe(200)
    expect(retried.headers.get('idempotent-replayed')).toBe('true')
    const charges = new Set(
      [...answers, retried].filter((a) => a.status === 200).map((a) => a.body.latest_charge),
    )
    expect(charges.size).toBe(1)
    const succeeded = [...store.events.values()].filter(
      (e) => e.type === 'payment_intent.succeeded',
    )
    expect(succeeded).toHaveLength(1)
  })

  test('a malformed key is 400 before anything runs', async () => {
    const { call, store } = sandboxApp()
    const refused = await call('POST', '/v1/payment_intents', order, {
      'idempotency-key': 'x'.repeat(256),
    })
    expect(refused.status).toBe(400)
    expect(store.intents.size).toBe(0)
  })

  test('while the first request with a key runs, the same key is 409 idempotency_key_in_use', async () => {
    const ledger = new IdempotencyLedger(
      new SandboxStore({ logger: recordingLogger(), idempotencyTtlMs: 60_000 }),
    )
    const request = { method: 'POST', path: '/v1/x', body: {} }
    let release = () => {}
    const first = ledger.run(
      'k',
      request,
      () =>
        new Promise<{ status: number; body: string }>((resolve) => {
          release = () => resolve({ status: 200, body: 'first' })
        }),
    )
    const second = await ledger
      .run('k', request, () => ({ status: 200, body: 'second' }))
      .catch((e) => e)
    expect(second).toBeInstanceOf(StripeError)
    expect((second as StripeError).status).toBe(409)
    expect((second as StripeError).code).toBe('idempotency_key_in_use')
    release()
    expect((await first).body).toBe('first')
    expect(await ledger.run('k', request, () => ({ status: 200, body: 'third' }))).toMatchObject({
      body: 'first',
      replayed: true,
    })
  })

  test('keys expire after their time to live', async () => {
    let now = 1_000_000
    const ledger = new IdempotencyLedger(
      new SandboxStore({ logger: recordingLogger(), idempotencyTtlMs: 1000, now: () => now }),
    )
    const request = { method: 'POST', path: '/v1/x', body: {} }
    await ledger.run('k', request, () => ({ status: 200, body: 'first' }))
    now += 1001
    expect((await ledger.run('k', request, () => ({ status: 200, body: 'later' }))).body).toBe(
      'later',
    )
  })
})

describe('the journal', () => {
  test('a restarted sandbox has the intents, refunds and idempotency keys of the last run', async () => {
    const journal = `${repoRoot}.state/payment-sandbox-tests/journal-${uniqueSuffix()}.jsonl`
    try {
      const first = sandboxApp({ journal })
      const headers = key('create')
      const created = await first.call(
        'POST',
        '/v1/payment_intents',
        { ...order, payment_method: 'pm_card_visa', confirm: true },
        headers,
      )
      const refund = await first.call('POST', '/v1/refunds', {
        payment_intent: created.body.id,
        amount: 10,
      })

      const second = sandboxApp({ journal })
      expect(
        (await second.call('GET', `/v1/payment_intents/${created.body.id}`)).body,
      ).toMatchObject({
        status: 'succeeded',
        amount_refunded: 10,
      })
      expect((await second.call('GET', `/v1/refunds/${refund.body.id}`)).status).toBe(200)
      const replay = await second.call(
        'POST',
        '/v1/payment_intents',
        { ...order, payment_method: 'pm_card_visa', confirm: true },
        headers,
      )
      expect(replay.headers.get('idempotent-replayed')).toBe('true')
      expect(replay.body.id).toBe(created.body.id)
      expect(second.store.intents.size).toBe(1)
    } finally {
      rmSync(journal, { force: true })
    }
  })

  test('a torn last line (a kill mid-write) is skipped, the rest is kept', async () => {
    const journal = `${repoRoot}.state/payment-sandbox-tests/torn-${uniqueSuffix()}.jsonl`
    try {
      const first = sandboxApp({ journal })
      const { body: intent } = await first.call('POST', '/v1/payment_intents', order)
      await Bun.write(journal, `${await Bun.file(journal).text()}{"kind":"intent","val`)
      const second = sandboxApp({ journal })
      expect(second.store.intents.get(intent.id)?.amount).toBe(990)
      expect(
        second.logger.lines.some((line) => line.msg === 'journal line skipped (unparsable)'),
      ).toBe(true)
    } finally {
      rmSync(journal, { force: true })
    }
  })
})
