import {
  dealBuyersKey,
  dealIdempotencyKey,
  dealInfoKey,
  dealStockKey,
  OUTBOX_REGISTRY_KEY,
} from '@flash-deal/contracts'
import { queries, type Sql } from '@flash-deal/db'
import type { Redis } from '@flash-deal/kit/redis'
import restoreDealLua from './restore-deal.lua' with { type: 'text' }

export type DealRow = Awaited<ReturnType<typeof queries.listReconcilableDeals>>[number]
type RedisWithRestore = Redis & {
  restoreDeal(stockKey: string, infoKey: string, ...args: (string | number)[]): Promise<number>
}

/**
 * Rebuilds a deal Redis lost from Postgres: buyers and idempotency records first; the stock,
 * written last (only if still missing), opens the deal again. True when it was restored now.
 */
export async function restoreDeal(sql: Sql, redis: Redis, deal: DealRow): Promise<boolean> {
  const scripted = redis as RedisWithRestore
  scripted.defineCommand('restoreDeal', { numberOfKeys: 2, lua: restoreDealLua })
  const [buyers, records] = await Promise.all([
    queries.listDealBuyers(sql, { dealId: deal.id }),
    queries.listDealIdempotencyRecords(sql, { dealId: deal.id }),
  ])
  const chunk = 1000
  for (let i = 0; i < buyers.length; i += chunk) {
    const part = buyers.slice(i, i + chunk).flatMap((b) => [b.userId, b.quantity ?? 0])
    await redis.hset(dealBuyersKey(deal.id), ...part)
  }
  for (let i = 0; i < records.length; i += chunk) {
    const part = records
      .slice(i, i + chunk)
      .flatMap((r) => [`${r.userId}:${r.idempotencyKey}`, `${r.id}:${r.quantity}`])
    await redis.hset(dealIdempotencyKey(deal.id), ...part)
  }
  const restored = await scripted.restoreDeal(
    dealStockKey(deal.id),
    dealInfoKey(deal.id),
    deal.stockRemaining,
    deal.price,
    deal.perUserLimit,
    deal.startsAt.getTime(),
    deal.endsAt.getTime(),
    deal.productId,
  )
  await redis.sadd(OUTBOX_REGISTRY_KEY, deal.id)
  return restored === 1
}
