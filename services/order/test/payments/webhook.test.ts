import { describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import {
  verifyWebhook,
  type WebhookRefusal,
  WebhookVerificationError,
} from '../../src/payments/webhook'

const secret = 'whsec_unit_test_secret_0123456789'
const now = 1_800_000_000
const payload = JSON.stringify({
  id: 'evt_1',
  object: 'event',
  type: 'payment_intent.succeeded',
  created: now,
  data: {
    object: {
      id: 'pi_1',
      object: 'payment_intent',
      amount: 990,
      currency: 'eur',
      status: 'succeeded',
      amount_refunded: 0,
      metadata: { orderId: '0193a0e0-0000-7000-8000-000000000001' },
      last_payment_error: null,
    },
  },
})

const v1 = (body: string, timestamp: number, key = secret) =>
  createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')
const header = (timestamp: number, ...signatures: string[]) =>
  [`t=${timestamp}`, ...signatures.map((signature) => `v1=${signature}`)].join(',')

function refusal(run: () => unknown): WebhookRefusal | 'accepted' {
  try {
    run()
    return 'accepted'
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError)
    expect((error as WebhookVerificationError).status).toBe(400)
    return (error as WebhookVerificationError).reason
  }
}

describe('verifyWebhook (Stripe-Signature)', () => {
  test('a genuine delivery is accepted and read in the port’s terms', () => {
    const event = verifyWebhook({
      payload,
      signature: header(now, v1(payload, now)),
      secrets: secret,
      nowSeconds: now,
    })
    expect(event).toEqual({
      id: 'evt_1',
      type: 'payment_intent.succeeded',
      created: now,
      payment: {
        reference: 'pi_1',
        orderId: '0193a0e0-0000-7000-8000-000000000001',
        amount: 990,
        currency: 'EUR',
        status: 'succeeded',
        amountRefunded: 0,
      },
    })
  })

  test('the replay window: up to 5 minutes either way, not a second more', () => {
    const at = (timestamp: number) =>
      refusal(() =>
        verifyWebhook({
          payload,
          signature: header(timestamp, v1(payload, timestamp)),
          secrets: secret,
          nowSeconds: now,
        }),
      )
    expect(at(now - 300)).toBe('accepted')
    expect(at(now + 300)).toBe('accepted')
    expect(at(now - 301)).toBe('stale-timestamp')
    expect(at(now + 301)).toBe('stale-timestamp')
    const custom = refusal(() =>
      verifyWebhook({
        payload,
        signature: header(now - 20, v1(payload, now - 20)),
        secrets: secret,
        nowSeconds: now,
        toleranceSeconds: 10,
      }),
    )
    expect(custom).toBe('stale-timestamp')
  })

  test('another secret, a changed body, a changed timestamp: bad-signature', () => {
    const verify = (signature: string, body = payload) =>
      refusal(() => verifyWebhook({ payload: body, signature, secrets: secret, nowSeconds: now }))
    expect(verify(header(now, v1(payload, now, 'whsec_someone_elses_secret_000')))).toBe(
      'bad-signature',
    )
    expect(verify(header(now, v1(payload, now)), payload.replace('990', '1'))).toBe('bad-signature')
    // A captured signature moved onto a fresh timestamp does not match.
    expect(verify(header(now, v1(payload, now - 400)))).toBe('bad-signature')
    // Re-serialised JSON is not the signed bytes.
    expect(
      verify(header(now, v1(payload, now)), JSON.stringify(JSON.parse(payload), null, 1)),
    ).toBe('bad-signature')
  })

  test('missing or malformed headers are refused naming why', () => {
    const verify = (signature: string | null) =>
      refusal(() => verifyWebhook({ payload, signature, secrets: secret, nowSeconds: now }))
    expect(verify(null)).toBe('missing-signature')
    expect(verify('')).toBe('missing-signature')
    expect(verify('garbage')).toBe('malformed-signature')
    expect(verify(`v1=${v1(payload, now)}`)).toBe('malformed-signature')
    expect(verify(`t=${now}`)).toBe('malformed-signature')
    expect(verify(`t=${now},v1=abc`)).toBe('malformed-signature')
    expect(verify(`t=soon,v1=${v1(payload, now)}`)).toBe('malformed-signature')
    // Only v1 counts: a v0 signature with the right value is not enough.
    expect(verify(`t=${now},v0=${v1(payload, now)}`)).toBe('malformed-signature')
  })

  test('several v1 signatures and several secrets (a rotation): any one match is enough', () => {
    const old = 'whsec_the_previous_secret_0123456'
    const signature = header(
      now,
      v1(payload, now, 'whsec_unrelated_000000000000'),
      v1(payload, now, old),
    )
    expect(
      refusal(() => verifyWebhook({ payload, signature, secrets: [secret, old], nowSeconds: now })),
    ).toBe('accepted')
    expect(
      refusal(() => verifyWebhook({ payload, signature, secrets: [secret], nowSeconds: now })),
    ).toBe('bad-signature')
  })

  test('a signed body that is not an event is refused too', () => {
    for (const body of ['not json', '{"id":"evt_1"}', '[]']) {
      expect(
        refusal(() =>
          verifyWebhook({
            payload: body,
            signature: header(now, v1(body, now)),
            secrets: secret,
            nowSeconds: now,
          }),
        ),
      ).toBe('malformed-payload')
    }
  })

  test('a refund event carries the refund', () => {
    const body = JSON.stringify({
      id: 'evt_2',
      type: 'refund.created',
      created: now,
      data: { object: { id: 're_1', object: 'refund', amount: 990, payment_intent: 'pi_1' } },
    })
    const event = verifyWebhook({
      payload: body,
      signature: header(now, v1(body, now)),
      secrets: secret,
      nowSeconds: now,
    })
    expect(event.refund).toEqual({ reference: 're_1', paymentReference: 'pi_1', amount: 990 })
    expect(event.payment).toBeUndefined()
  })
})
