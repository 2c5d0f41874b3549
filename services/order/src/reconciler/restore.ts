import {
  dealBuyersKey,
  dealIdempotencyKey,
  idempotencyField,
  idempotencyRecord,
  registerDealOutbox,
  restoreDealCall,
  runDealScript,
} from '@flash-deal/contracts'
import { queries, type Sql } from '@flash-deal/db'
import type { Redis } from '@flash-deal/kit/redis'

export type DealRow = Awaited<ReturnType<typeof queries.listReconcilableDeals>>[number]

/** Big deals are written a thousand fields per command. */
const CHUNK = 1000

/**
 * Rebuilds a deal Redis lost from Postgres: buyers and idempotency records first; then
 * restore-deal writes the info and, last and only if still missing, the stock, which opens the
 * deal again (a gateway never sees stock without its buyers). True when it was restored now.
 */
export async function restoreDeal(sql: Sql, redis: Redis, deal: DealRow): Promise<boolean> {
  const [buyers, records] = await Promise.all([
    queries.listDealBuyers(sql, { dealId: deal.id }),
    queries.listDealIdempotencyRecords(sql, { dealId: deal.id }),
  ])
  for (let i = 0; i < buyers.length; i += CHUNK) {
    const part = buyers.slice(i, i + CHUNK).flatMap((b) => [b.userId, b.quantity ?? 0])
    await redis.hset(dealBuyersKey(deal.id), ...part)
  }
  for (let i = 0; i < records.length; i += CHUNK) {
    const part = records
      .slice(i, i + CHUNK)
      .flatMap((r) => [
        idempotencyField(r.userId, r.idempotencyKey),
        idempotencyRecord(r.id, r.quantity),
      ])
    await redis.hset(dealIdempotencyKey(deal.id), ...part)
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
