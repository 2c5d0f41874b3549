import { defineLuaScript, type LuaEvaluator, type LuaScript } from '@flash-deal/kit/lua'
import mirrorStockLua from '../lua/mirror-stock.lua' with { type: 'text' }
import publishDealLua from '../lua/publish-deal.lua' with { type: 'text' }
import releaseOrderLua from '../lua/release-order.lua' with { type: 'text' }
import rescheduleDealLua from '../lua/reschedule-deal.lua' with { type: 'text' }
import reserveLua from '../lua/reserve.lua' with { type: 'text' }
import restoreDealLua from '../lua/restore-deal.lua' with { type: 'text' }
import restoreDealRecordsLua from '../lua/restore-deal-records.lua' with { type: 'text' }
import retireDealLua from '../lua/retire-deal.lua' with { type: 'text' }
import { idempotencyField, idempotencyRecord } from './deal-records'
import {
  dealBuyersKey,
  dealIdempotencyKey,
  dealInfoKey,
  dealKeys,
  dealReleasedKey,
  dealStockKey,
} from './deal-state'

/*
 * The scripts that write a deal's state (`packages/contracts/lua/*.lua`) and, for each one, the
 * builder of its KEYS and ARGV and the reader of its reply: the only way TypeScript calls them,
 * through the kit's Lua loader. The Go product service builds the same calls
 * (`packages/contracts/lua/calls.go`); one fixture both sides are tested against keeps them equal.
 */
export const dealScripts = {
  publishDeal: defineLuaScript('publish-deal', publishDealLua),
  rescheduleDeal: defineLuaScript('reschedule-deal', rescheduleDealLua),
  reserve: defineLuaScript('reserve', reserveLua),
  restoreDeal: defineLuaScript('restore-deal', restoreDealLua),
  mirrorStock: defineLuaScript('mirror-stock', mirrorStockLua),
  releaseOrder: defineLuaScript('release-order', releaseOrderLua),
  retireDeal: defineLuaScript('retire-deal', retireDealLua),
  restoreDealRecords: defineLuaScript('restore-deal-records', restoreDealRecordsLua),
} as const

/** One call of a deal script: what to send, and how to read what comes back. */
export interface DealScriptCall<Reply> {
  script: LuaScript
  keys: readonly string[]
  args: readonly (string | number)[]
  reply(raw: unknown): Reply
}

/** Runs a deal script call (EVALSHA, EVAL on NOSCRIPT) and reads its reply. */
export async function runDealScript<Reply>(
  redis: LuaEvaluator,
  call: DealScriptCall<Reply>,
): Promise<Reply> {
  return call.reply(await call.script.run(redis, call.keys, call.args))
}

/** A deal's terms as the scripts write them to `deal:{id}:info` (and its stock). */
export interface DealTerms {
  dealId: string
  stock: number
  price: number
  perUserLimit: number
  startsAt: Date
  endsAt: Date
  productId: string
}

/** The scripts that answer 1 or 0 (did it write). */
const wrote = (raw: unknown) => Number(raw) === 1

const termsArgs = (deal: Omit<DealTerms, 'productId' | 'dealId'>) => [
  deal.stock,
  deal.price,
  deal.perUserLimit,
  deal.startsAt.getTime(),
  deal.endsAt.getTime(),
]

/** publish-deal: stock and info only where absent. Reply: true when the stock was set now. */
export const publishDealCall = (deal: DealTerms): DealScriptCall<boolean> => ({
  script: dealScripts.publishDeal,
  keys: [dealStockKey(deal.dealId), dealInfoKey(deal.dealId)],
  args: [...termsArgs(deal), deal.productId],
  reply: wrote,
})

/**
 * reschedule-deal: replace stock and info while the deal has not started by Redis's clock.
 * Reply: true when replaced, false when it has started (nothing written).
 */
export const rescheduleDealCall = (
  deal: Omit<DealTerms, 'productId'>,
): DealScriptCall<boolean> => ({
  script: dealScripts.rescheduleDeal,
  keys: [dealStockKey(deal.dealId), dealInfoKey(deal.dealId)],
  args: termsArgs(deal),
  reply: wrote,
})

/**
 * restore-deal: rebuild info and stock (`stock` = what Postgres has left) after Redis lost
 * them, only while the stock is still missing. Reply: true when restored.
 */
export const restoreDealCall = (deal: DealTerms): DealScriptCall<boolean> => ({
  script: dealScripts.restoreDeal,
  keys: [dealStockKey(deal.dealId), dealInfoKey(deal.dealId)],
  args: [...termsArgs(deal), deal.productId],
  reply: wrote,
})

/** mirror-stock (sync mode): lower the stock to `remaining`, never raise it. Reply: lowered. */
export const mirrorStockCall = (dealId: string, remaining: number): DealScriptCall<boolean> => ({
  script: dealScripts.mirrorStock,
  keys: [dealStockKey(dealId)],
  args: [remaining],
  reply: wrote,
})

/**
 * restore-deal-records (the reconciler, before restore-deal): some of a lost deal's buyers and
 * idempotency records, from Postgres, written only while its stock is missing. Reply: written.
 */
export const restoreDealRecordsCall = (
  dealId: string,
  records: {
    buyers: readonly { userId: string; units: number }[]
    purchases: readonly {
      userId: string
      idempotencyKey: string
      orderId: string
      quantity: number
    }[]
  },
): DealScriptCall<boolean> => ({
  script: dealScripts.restoreDealRecords,
  keys: [dealStockKey(dealId), dealBuyersKey(dealId), dealIdempotencyKey(dealId)],
  args: [
    records.buyers.length,
    ...records.buyers.flatMap((b) => [b.userId, b.units]),
    ...records.purchases.flatMap((p) => [
      idempotencyField(p.userId, p.idempotencyKey),
      idempotencyRecord(p.orderId, p.quantity),
    ]),
  ],
  reply: wrote,
})

/**
 * retire-deal (the relay): once the deal ended over `graceMs` ago by Redis's clock and its outbox
 * is drained, every key but `info` expires `retentionMs` after the end. Reply: true when retired.
 */
export const retireDealCall = (
  dealId: string,
  timing: { graceMs: number; retentionMs: number },
): DealScriptCall<boolean> => ({
  script: dealScripts.retireDeal,
  keys: [...dealKeys(dealId), dealReleasedKey(dealId)],
  args: [timing.graceMs, timing.retentionMs],
  reply: wrote,
})
