/**
 * The expiry job killed mid-run: hundreds of held orders pass their payBy while the order
 * service (the process running the expiry job and the release sweeper) expires them batch by
 * batch; it is SIGKILLed between one batch and the next — or in one, or between a batch's commit
 * and its Redis side — and started again. Every expired order must then have been released
 * exactly once, in each store: Redis stock and the buyers' counts, Postgres stock_remaining and
 * the release outbox, and the books balance (held + paid + stock_remaining = stock).
 */
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test'
import { dealBuyersKey, dealReleasedKey, dealStockKey } from '@flash-deal/contracts'
import { queries } from '@flash-deal/db'
import {
  type Buyer,
  buyers,
  closeHarness,
  db,
  kv,
  liveDeal,
  purchase,
  type Stack,
  settle,
  startStack,
} from '../src/harness'

setDefaultTimeout(240_000)
afterAll(closeHarness)

const portBase = Number(process.env.SYSTEM_TEST_PORT_BASE ?? 19080) + 20
const BUYERS = 30
const PER_USER = 20
const ORDERS = BUYERS * PER_USER
const STOCK = ORDERS + 100
const HOLD_SECONDS = 5

/** Every buyer buys PER_USER single units, 16 purchases in flight; answers the accepted ids. */
async function buyAll(stack: Stack, dealId: string, pool: Buyer[]) {
  const wanted = pool.flatMap((buyer) =>
    Array.from({ length: PER_USER }, (_, n) => ({ buyer, key: `hold-${n}` })),
  )
  const ids: string[] = []
  const loops = Array.from({ length: 16 }, async () => {
    for (let next = wanted.shift(); next; next = wanted.shift()) {
      const attempt = await purchase(stack, dealId, next.buyer, next.key)
      expect(attempt.status).toBe(202)
      ids.push(attempt.orderId as string)
    }
  })
  await Promise.all(loops)
  return new Set(ids)
}

/** The deal's checkout books, every count a number (SQL aggregates come typed nullable). */
const checkoutTotals = async (dealId: string) => {
  const totals = await queries.dealCheckoutTotals(db(), { dealId })
  if (!totals) throw new Error(`no totals for deal ${dealId}`)
  return Object.fromEntries(Object.entries(totals).map(([name, value]) => [name, value ?? 0])) as {
    [K in keyof typeof totals]: number
  }
}

/** Polls until `done` holds for the deal's checkout totals, or the time is up. */
async function until(
  dealId: string,
  done: (totals: Awaited<ReturnType<typeof checkoutTotals>>) => boolean,
  timeoutMs: number,
  intervalMs = 20,
) {
  const deadline = Date.now() + timeoutMs
  let totals = await checkoutTotals(dealId)
  while (!done(totals) && Date.now() < deadline) {
    await Bun.sleep(intervalMs)
    totals = await checkoutTotals(dealId)
  }
  return totals
}

test('the expiry job killed mid-run and restarted: every expired hold released exactly once', async () => {
  const stack = await startStack('async', { PURCHASE_RATE_PER_USER: '0' }, { portBase })
  try {
    const dealId = await liveDeal(stack, STOCK, PER_USER, HOLD_SECONDS)
    const pool = await buyers(BUYERS)
    const ids = await buyAll(stack, dealId, pool)
    expect(ids.size).toBe(ORDERS)
    expect(Number(await kv().get(dealStockKey(dealId)))).toBe(STOCK - ORDERS)

    // The job expires at most one batch (200) a second: kill it once the first has committed.
    const atKill = await until(dealId, (t) => t.released > 0, 60_000)
    await stack.services.order.kill()
    expect(atKill.released).toBeGreaterThan(0)
    expect(atKill.released).toBeLessThan(ORDERS)
    const whileDown = await checkoutTotals(dealId)
    // Nothing half-applied: each expired order has its release row, and only those.
    expect(whileDown.releaseRows).toBe(whileDown.released)
    console.info(
      `killed with ${whileDown.released} of ${ORDERS} expired, ${whileDown.unapplied} releases not in Redis yet`,
    )

    await stack.services.order.start()
    const after = await until(dealId, (t) => t.released === ORDERS && t.unapplied === 0, 90_000)
    expect(after).toMatchObject({
      held: 0,
      paid: 0,
      released: ORDERS,
      releaseRows: ORDERS,
      releaseQuantity: ORDERS,
      unapplied: 0,
    })
    const books = await settle(dealId, ids)
    expect(books.rows.every((row) => row.status === 'expired')).toBe(true)
    // Exactly once: a second release of any order would put stock above what the deal has.
    expect(books.deal.stockRemaining).toBe(STOCK)
    expect(books.redisStock).toBe(STOCK)
    expect(await kv().scard(dealReleasedKey(dealId))).toBe(ORDERS)
    expect(await kv().hlen(dealBuyersKey(dealId))).toBe(0)

    // The buyers' counts went back too: a buyer may take their whole limit again at once.
    const [first] = pool as [Buyer]
    const again = await purchase(stack, dealId, first, 'after-restart', PER_USER)
    expect(again.status).toBe(202)
  } catch (error) {
    console.error(stack.logs())
    throw error
  } finally {
    await stack.stop()
  }
})
