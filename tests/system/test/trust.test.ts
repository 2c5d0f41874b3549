/**
 * Who may call what, with every process running (issue 13, items 4 and 5): the order service's
 * port is reachable, but a purchase there is refused (no internal token) and, in async mode, does
 * not exist even for the gateway — the one door is the gateway's reservation, so the per-user
 * limit and "every 202 becomes one confirmed order" hold. And a session revoked in Redis (what
 * auth writes on logout and on a refresh-token replay) stops working at the gateway and at the
 * order service within about a second, while the buyer's other sessions go on.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { REVOKED_SESSIONS_KEY, revokedUntil } from '@flash-deal/kit/revocation'
import { internalHeaders, refusedInternalTokens } from '@flash-deal/testing'
import {
  type Buyer,
  buyers,
  closeHarness,
  kv,
  liveDeal,
  purchase,
  type Stack,
  settle,
  startStack,
  tokens,
} from '../src/harness'

setDefaultTimeout(120_000)

let stack: Stack
beforeAll(async () => {
  stack = await startStack('async')
})
afterAll(async () => {
  await stack?.stop()
  await closeHarness()
})

const sessionOf = (token: string) =>
  (JSON.parse(atob(token.split('.')[1] ?? '')) as { sid: string }).sid

describe('the order service is not a second door (item 4)', () => {
  test('a direct purchase is refused, the limit holds, every accepted purchase is one order', async () => {
    const dealId = await liveDeal(stack, 20, 3)
    const [buyer] = (await buyers(1)) as [Buyer]
    const direct = async (headers: Record<string, string>) =>
      fetch(`${stack.orderUrl}/v1/deals/${dealId}/purchase`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${buyer.token}`,
          'idempotency-key': crypto.randomUUID(),
          'content-type': 'application/json',
          ...headers,
        },
        body: '{"quantity":3}',
      })
    for (const [label, token] of await refusedInternalTokens('order')) {
      const response = await direct(token ? { 'x-internal-token': token } : {})
      expect({ label, status: response.status }).toEqual({ label, status: 401 })
      expect((await response.json()).type).toBe('urn:flash-deal:problem:internal-auth-required')
    }
    // Async mode: not even the gateway's own token opens a Postgres purchase there.
    expect((await direct(await internalHeaders('order'))).status).toBe(404)

    const first = await purchase(stack, dealId, buyer, 'door-1', 3)
    expect(first.status).toBe(202)
    expect((await purchase(stack, dealId, buyer, 'door-2', 1)).status).toBe(409)
    const settled = await settle(dealId, new Set([first.orderId as string]))
    expect(settled.rows.map((row) => [row.id, row.status, row.quantity])).toEqual([
      [first.orderId as string, 'confirmed', 3],
    ])
    expect(settled.deal.stockRemaining).toBe(17)
  })
})

describe('a revoked session stops working within seconds (item 5)', () => {
  test('after the revocation, the purchase and the order reads are refused; another session works', async () => {
    const dealId = await liveDeal(stack, 100, 50)
    const [buyer] = (await buyers(1)) as [Buyer]
    const other = await tokens.tokenFor('customer', { sub: buyer.id })
    expect((await purchase(stack, dealId, buyer, 'before-revocation')).status).toBe(202)

    // What auth writes on logout or on a refresh-token replay.
    await kv().zadd(REVOKED_SESSIONS_KEY, revokedUntil(300), sessionOf(buyer.token))
    const revokedAt = performance.now()
    let refusedAfterMs: number | undefined
    while (performance.now() - revokedAt < 5000) {
      const attempt = await purchase(stack, dealId, buyer, `after-${crypto.randomUUID()}`)
      if (attempt.status === 401) {
        refusedAfterMs = performance.now() - revokedAt
        break
      }
      expect(attempt.status).toBe(202)
      // Slower than the per-user bucket refills (5/s), so a 429 cannot mask the answer.
      await Bun.sleep(250)
    }
    expect(refusedAfterMs).toBeDefined()
    expect(refusedAfterMs as number).toBeLessThan(2500)

    const refusal = await fetch(`${stack.gatewayUrl}/v1/deals/${dealId}/purchase`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${buyer.token}`,
        'idempotency-key': crypto.randomUUID(),
        'content-type': 'application/json',
      },
      body: '{}',
    })
    expect(refusal.status).toBe(401)
    expect((await refusal.json()).type).toBe('urn:flash-deal:problem:session-revoked')
    // The order service (through the gateway) refuses the session too ...
    const orders = await fetch(`${stack.gatewayUrl}/v1/orders`, {
      headers: { authorization: `Bearer ${buyer.token}` },
    })
    expect(orders.status).toBe(401)
    // ... and so does the order service itself, asked as the gateway would: its own copy,
    // refreshed on its own clock, within the same bound.
    const askOrder = async () =>
      fetch(`${stack.orderUrl}/v1/orders`, {
        headers: { authorization: `Bearer ${buyer.token}`, ...(await internalHeaders('order')) },
      })
    let ordersDirect = await askOrder()
    while (ordersDirect.status === 200 && performance.now() - revokedAt < 2500) {
      await Bun.sleep(100)
      ordersDirect = await askOrder()
    }
    expect(ordersDirect.status).toBe(401)
    expect((await ordersDirect.json()).type).toBe('urn:flash-deal:problem:session-revoked')
    // The same user's other session is untouched.
    expect(
      (await purchase(stack, dealId, { id: buyer.id, token: other }, 'other-session')).status,
    ).toBe(202)
  })
})
