/**
 * A fault under steady load, and the books after it: the frame every fault test shares (the
 * single-node faults in test/faults.test.ts, the cluster's in cluster/).
 */
import { expect } from 'bun:test'
import { buyers, liveDeal, purchaseLoad, type Stack, settle, startStack } from './harness'

const STOCK = 100_000

/**
 * Runs steady purchase traffic on a fresh async stack, injects the fault in the middle, and
 * checks the books afterwards. A purchase answered 503 is retried with its key until settled
 * (see `purchaseLoad`), so in the end every purchase has a definite answer: 202.
 */
export async function underLoad(
  inject: (stack: Stack, accepted: () => number, dealId: string) => Promise<void>,
) {
  // Per-user rate limits off: the load reuses a few buyers far faster than a person would.
  const stack = await startStack('async', { PURCHASE_RATE_PER_USER: '0' })
  try {
    const dealId = await liveDeal(stack, STOCK, STOCK)
    const load = purchaseLoad(stack, dealId, await buyers(20))
    await Bun.sleep(1000)
    await inject(stack, () => load.accepted().length, dealId)
    await Bun.sleep(1000)
    const attempts = await load.stop()

    expect(new Set(attempts.map((a) => a.status))).toEqual(new Set([202]))
    const accepted = load.accepted()
    const ids = new Set(accepted.map((a) => a.orderId as string))
    expect(ids.size).toBe(accepted.length)

    const books = await settle(dealId, ids)
    expect(books.rows.length).toBe(ids.size)
    expect(new Set(books.rows.map((r) => r.id))).toEqual(ids)
    expect(books.rows.every((r) => r.status === 'confirmed')).toBe(true)
    expect(books.units).toBe(accepted.length)
    expect(books.deal.stockRemaining).toBe(STOCK - books.units)
    expect(books.redisStock).toBe(books.deal.stockRemaining)
    return { stack, dealId, attempts, unavailable: load.unavailable() }
  } catch (error) {
    console.error(stack.logs())
    throw error
  } finally {
    await stack.stop()
  }
}

/** Waits until the load has accepted `more` purchases beyond what it had. */
export async function acceptsMore(accepted: () => number, more: number, timeoutMs = 15_000) {
  const target = accepted() + more
  const deadline = Date.now() + timeoutMs
  while (accepted() < target && Date.now() < deadline) await Bun.sleep(50)
  expect(accepted()).toBeGreaterThanOrEqual(target)
}
