/**
 * The whole purchase, end to end, with every process running: 2,000 concurrent attempts by 500
 * buyers (each buys twice and retries each purchase with the same Idempotency-Key) on a deal of
 * 100 units with a limit of 2 per buyer. Exactly 100 units are accepted, nobody gets more than 2,
 * and Postgres ends with exactly the accepted orders, stock 0, in agreement with Redis. The
 * `edge` run is the same spike through the gateway running as a Worker on workerd (Upstash
 * adapter over the local emulator): accepted at the edge, relayed, consumed, confirmed.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { buyers, closeHarness, liveDeal, settle, startStack, tokens } from '../src/harness'
import { acceptedOrders, spike } from '../src/spike'

setDefaultTimeout(180_000)
afterAll(closeHarness)

describe.each([
  ['async', 'async', 'bun', 202],
  ['sync', 'sync', 'bun', 201],
  ['edge (workerd gateway, async)', 'async', 'workerd', 202],
] as const)('%s', (_name, mode, gateway, acceptedStatus) => {
  test('no oversell, no user above the limit, Postgres has exactly the accepted orders', async () => {
    const stack = await startStack(mode, {}, { gateway })
    try {
      const dealId = await liveDeal(stack, 100, 2)
      const pool = await buyers(500)
      const accepted = acceptedOrders(await spike(stack, dealId, pool), acceptedStatus)
      expect(accepted).toHaveLength(100)
      const perBuyer = new Map<string, number>()
      for (const a of accepted) perBuyer.set(a.buyer, (perBuyer.get(a.buyer) ?? 0) + 1)
      expect(Math.max(...perBuyer.values())).toBeLessThanOrEqual(2)

      const ids = new Set(accepted.map((a) => a.orderId as string))
      const settled = await settle(dealId, ids)
      expect(new Set(settled.rows.map((r) => r.id))).toEqual(ids)
      expect(settled.rows.every((r) => r.status === 'confirmed')).toBe(true)
      expect(settled.units).toBe(100)
      expect(settled.deal.stockRemaining).toBe(0)
      expect(settled.redisStock).toBe(0)

      // The reconciler agrees: nothing in flight, Redis equals Postgres.
      const report = await fetch(`${stack.orderUrl}/reconciliation`, {
        headers: { authorization: `Bearer ${await tokens.tokenFor('admin')}` },
      })
      const deal = (
        (await report.json()) as { deals: { dealId: string; health: string }[] }
      ).deals.find((d) => d.dealId === dealId)
      expect(deal?.health).toBe('in-sync')
    } finally {
      await stack.stop()
    }
  })
})
