/**
 * The spike of the purchase-flow tests (single node: test/purchase-flow.test.ts; the cluster:
 * cluster/cluster.cluster.ts): every buyer buys twice and retries each purchase once with the
 * same Idempotency-Key, all at once, and the answers are read back as the orders they accepted.
 */
import { expect } from 'bun:test'
import { type Attempt, type Buyer, purchase, type Stack } from './harness'

/** How one attempt is made: `purchase` (one answer), or `settledPurchase` (503s retried). */
type Buy = (stack: Stack, dealId: string, buyer: Buyer, key: string) => Promise<Attempt>

/** Four attempts per buyer (two purchases, each sent twice), all in flight together. */
export async function spike(stack: Stack, dealId: string, pool: Buyer[], buy: Buy = purchase) {
  const attempts = pool.flatMap((buyer) =>
    [0, 1, 0, 1].map((n) => ({ buyer, key: `spike-${buyer.id}-${n}` })),
  )
  return Promise.all(attempts.map(({ buyer, key }) => buy(stack, dealId, buyer, key)))
}

/** The accepted orders, one per key; every answer is accepted or 409, a retry the same order. */
export function acceptedOrders(answers: Attempt[], acceptedStatus: number) {
  const byKey = new Map<string, Attempt>()
  for (const answer of answers) {
    expect([acceptedStatus, 409]).toContain(answer.status)
    if (answer.status !== acceptedStatus) continue
    const first = byKey.get(answer.key)
    // A retry with the same key got the same order.
    if (first) expect(answer.orderId).toBe(first.orderId as string)
    else byKey.set(answer.key, answer)
  }
  return [...byKey.values()]
}
