import {
  registerDealOutbox,
  restoreDealCall,
  restoreDealRecordsCall,
  runDealScript,
} from '@flash-deal/contracts'
import { queries, type Sql } from '@flash-deal/db'
import type { Redis } from '@flash-deal/kit/redis'

export type DealRow = Awaited<ReturnType<typeof queries.listReconcilableDeals>>[number]

/** Big deals are written a thousand records per script call. */
const CHUNK = 1000

/**
 * Rebuilds a deal Redis lost from Postgres: buyers and idempotency records first
 * (restore-deal-records); then restore-deal writes the info and, last, the stock, which opens the
 * deal again, so a gateway never sees stock without its buyers. Both write only while the stock
 * is missing. True when it was restored now.
 */
export async function restoreDeal(sql: Sql, redis: Redis, deal: DealRow): Promise<boolean> {
  const [buyers, purchases] = await Promise.all([
    queries.listDealBuyers(sql, { dealId: deal.id }),
    queries.listDealIdempotencyRecords(sql, { dealId: deal.id }),
  ])
  for (let i = 0; i < Math.max(buyers.length, purchases.length); i += CHUNK) {
    const written = await runDealScript(
      redis,
      restoreDealRecordsCall(deal.id, {
        buyers: buyers
          .slice(i, i + CHUNK)
          .map((b) => ({ userId: b.userId, units: b.quantity ?? 0 })),
        purchases: purchases.slice(i, i + CHUNK).map((p) => ({ ...p, orderId: p.id })),
      }),
    )
    // Someone else restored it meanwhile: it is open, and its records are reserve.lua's again.
    if (!written) break
  }
  const restored = await runDealScript(
    redis,
    restoreDealCall({
      dealId: deal.id,
      stock: deal.stockRemaining,
      price: deal.price,
      perUserLimit: deal.perUserLimit,
      startsAt: deal.startsAt,
      endsAt: deal.endsAt,
      productId: deal.productId,
    }),
  )
  await registerDealOutbox(redis, deal.id)
  return restored
}
