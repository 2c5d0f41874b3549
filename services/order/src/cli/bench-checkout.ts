/**
 * The checkout phase's books (scripts/bench/checkout.ts wrote what the client saw), checked
 * against Postgres, Redis and the payment provider once every release has been applied:
 * accepted == order rows, paid + held + stock_remaining == stock, Redis stock == Postgres, every
 * paid order charged exactly once for its total (one payment per order at the provider, nothing
 * refunded), the unpaid ones expired and their units sold again, nobody above the per-user limit.
 */
import { dealStockKey } from '@flash-deal/contracts'
import { queries, type Sql } from '@flash-deal/db'
import type { Redis } from '@flash-deal/kit/redis'

/** What scripts/bench/checkout.ts writes (the parts checked here). */
export interface CheckoutSummary {
  dealId: string
  stock: number
  perUserLimit: number
  accepted: number
  paid: number
  expired: { units: number }
  second: { accepted: number }
}

export type Verdict = (ok: boolean, text: string) => void

interface ProviderPayment {
  status: string
  amount_received: number
  amount_refunded: number
  metadata?: { orderId?: string }
}

const numbers = <T extends Record<string, number | null>>(row: T) =>
  Object.fromEntries(Object.entries(row).map(([name, value]) => [name, value ?? 0])) as {
    [K in keyof T]: number
  }

/** Waits (bounded) until nothing is held any more and Redis has been given every release. */
async function settled(sql: Sql, dealId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const row = await queries.dealCheckoutTotals(sql, { dealId })
    const totals = numbers(row ?? { held: null, unapplied: null })
    if ((totals.held === 0 && totals.unapplied === 0) || Date.now() >= deadline) return row
    await Bun.sleep(250)
  }
}

/** Every paid order: its one payment at the provider took its total, once, and kept it. */
async function checkCharges(
  sql: Sql,
  dealId: string,
  provider: { url: string; apiKey: string },
  verdict: Verdict,
) {
  const paid = await queries.listDealPaidOrders(sql, { dealId })
  let wrong = 0
  for (const order of paid) {
    const response = await fetch(`${provider.url}/v1/payment_intents/${order.paymentReference}`, {
      headers: { authorization: `Bearer ${provider.apiKey}` },
    })
    const payment = (await response.json()) as ProviderPayment
    const once =
      response.status === 200 &&
      payment.status === 'succeeded' &&
      payment.metadata?.orderId === order.id &&
      payment.amount_received === order.total &&
      payment.amount_refunded === 0 &&
      order.refundReference === null
    if (!once) wrong += 1
  }
  const references = new Set(paid.map((order) => order.paymentReference))
  verdict(
    wrong === 0 && references.size === paid.length,
    `checkout: every paid order charged once for its total (${paid.length} orders, ${references.size} payments, ${wrong} wrong)`,
  )
  return paid.length
}

export async function checkCheckout(
  run: CheckoutSummary,
  clients: { sql: Sql; redis: Redis; provider: { url: string; apiKey: string } },
  verdict: Verdict,
  timeoutMs: number,
) {
  const { sql, redis } = clients
  const { dealId, stock } = run
  console.log(`checkout deal ${dealId}: ${run.accepted} accepted, ${run.paid} paid by the client`)
  verdict(run.accepted > 0 && run.paid > 0, 'checkout: the phase had orders accepted and paid')
  const row = await settled(sql, dealId, timeoutMs)
  const [deal, orders, top] = await Promise.all([
    queries.getDeal(sql, { id: dealId }),
    queries.dealOrderTotals(sql, { dealId }),
    queries.dealTopBuyerUnits(sql, { dealId }),
  ])
  if (!row || !deal) return verdict(false, `checkout: deal ${dealId} is not in Postgres`)
  const books = numbers(row)
  const redisStock = Number(await redis.get(dealStockKey(dealId)))
  verdict(
    books.held === 0 && books.unapplied === 0,
    `checkout: settled (${books.held} held, ${books.unapplied} releases not in Redis)`,
  )
  verdict(
    orders?.orders === run.accepted,
    `checkout: ${run.accepted} accepted == ${orders?.orders} order rows`,
  )
  verdict(
    books.paidQuantity + books.heldQuantity + deal.stockRemaining === stock,
    `checkout: paid ${books.paidQuantity} + held ${books.heldQuantity} + stock_remaining ${deal.stockRemaining} == stock ${stock}`,
  )
  verdict(
    redisStock === deal.stockRemaining,
    `checkout: Redis stock ${redisStock} == Postgres stock_remaining ${deal.stockRemaining}`,
  )
  verdict(
    books.released === books.releaseRows && books.releaseQuantity === run.expired.units,
    `checkout: ${run.expired.units} unpaid units expired and released once (${books.releaseRows} releases of ${books.releaseQuantity} units)`,
  )
  verdict(
    run.second.accepted === run.expired.units,
    `checkout: the released units were bought again (${run.second.accepted} of ${run.expired.units})`,
  )
  const paid = await checkCharges(sql, dealId, clients.provider, verdict)
  verdict(paid === run.paid, `checkout: ${paid} paid orders == ${run.paid} payments answered 200`)
  verdict(
    (top?.units ?? 0) <= run.perUserLimit,
    `checkout: nobody above the per-user limit (most held + paid by one buyer: ${top?.units ?? 0} of ${run.perUserLimit})`,
  )
}
