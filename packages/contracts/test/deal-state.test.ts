/**
 * Every deal script run on the real Redis with the arguments its builder makes, and read back
 * with this module's readers: a field or an argument renamed on one side fails here.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { createRedis } from '@flash-deal/kit/redis'
import { recordingLogger, testEnv } from '@flash-deal/testing'
import {
  type DealTerms,
  dealBuyersKey,
  dealIdempotencyKey,
  dealInfoKey,
  dealOrdersKey,
  dealOutboxKey,
  dealStockKey,
  idempotencyField,
  mirrorStockCall,
  OUTBOX_REGISTRY_KEY,
  parseDealInfo,
  parseIdempotencyRecord,
  parsePendingOrder,
  publishDealCall,
  registerDealOutbox,
  rescheduleDealCall,
  reserveCall,
  restoreDealCall,
  runDealScript,
} from '../src'

const redis = createRedis(testEnv.redisUrl, recordingLogger())
afterAll(() => redis.quit())

const minutes = (n: number) => new Date(Date.now() + n * 60_000)
const terms = (change: Partial<DealTerms> = {}): DealTerms => ({
  dealId: crypto.randomUUID(),
  stock: 10,
  price: 4900,
  perUserLimit: 3,
  startsAt: minutes(-1),
  endsAt: minutes(60),
  productId: crypto.randomUUID(),
  ...change,
})
const info = async (dealId: string) => parseDealInfo(await redis.hgetall(dealInfoKey(dealId)))
const infoOf = (deal: DealTerms) => ({
  price: deal.price,
  perUserLimit: deal.perUserLimit,
  startsAt: deal.startsAt.getTime(),
  endsAt: deal.endsAt.getTime(),
  productId: deal.productId,
})

describe('publish-deal', () => {
  test('writes stock and info once; publishing again changes nothing', async () => {
    const deal = terms()
    expect(await runDealScript(redis, publishDealCall(deal))).toBe(true)
    expect(await redis.get(dealStockKey(deal.dealId))).toBe('10')
    expect(await info(deal.dealId)).toEqual(infoOf(deal))
    const again = { ...deal, stock: 99, price: 1 }
    expect(await runDealScript(redis, publishDealCall(again))).toBe(false)
    expect(await redis.get(dealStockKey(deal.dealId))).toBe('10')
    expect(await info(deal.dealId)).toEqual(infoOf(deal))
  })
})

describe('reschedule-deal', () => {
  test('replaces a scheduled deal; refuses a started one', async () => {
    const scheduled = terms({ startsAt: minutes(30), endsAt: minutes(90) })
    await runDealScript(redis, publishDealCall(scheduled))
    const moved = { ...scheduled, stock: 40, price: 3900, startsAt: minutes(45) }
    expect(await runDealScript(redis, rescheduleDealCall(moved))).toBe(true)
    expect(await redis.get(dealStockKey(scheduled.dealId))).toBe('40')
    expect(await info(scheduled.dealId)).toEqual(infoOf(moved))

    const started = terms()
    await runDealScript(redis, publishDealCall(started))
    expect(await runDealScript(redis, rescheduleDealCall({ ...started, stock: 99 }))).toBe(false)
    expect(await redis.get(dealStockKey(started.dealId))).toBe('10')
  })
})

describe('reserve', () => {
  const purchase = (dealId: string, change: { quantity?: number; key?: string } = {}) => ({
    dealId,
    userId: 'b0000000-0000-4000-8000-000000000001',
    idempotencyKey: change.key ?? 'checkout-1',
    quantity: change.quantity ?? 2,
    orderId: crypto.randomUUID(),
    traceparent: '',
  })

  test('accepted: stock, buyers, idempotency and pending order in the formats read here', async () => {
    const deal = terms()
    await runDealScript(redis, publishDealCall(deal))
    const first = purchase(deal.dealId)
    expect(await runDealScript(redis, reserveCall(first))).toEqual({
      outcome: 'accepted',
      orderId: first.orderId,
      value: deal.price,
    })
    expect(await redis.get(dealStockKey(deal.dealId))).toBe('8')
    expect(await redis.hget(dealBuyersKey(deal.dealId), first.userId)).toBe('2')
    const record = await redis.hget(
      dealIdempotencyKey(deal.dealId),
      idempotencyField(first.userId, first.idempotencyKey),
    )
    expect(parseIdempotencyRecord(record ?? '')).toEqual({ orderId: first.orderId, quantity: 2 })
    const pending = await redis.hget(dealOrdersKey(deal.dealId), first.orderId)
    expect(parsePendingOrder(deal.dealId, first.orderId, pending ?? '')).toMatchObject({
      id: first.orderId,
      dealId: deal.dealId,
      userId: first.userId,
      quantity: 2,
      unitPrice: deal.price,
    })
    expect(await redis.xlen(dealOutboxKey(deal.dealId))).toBe(1)
  })

  test('a retry answers the first order; the key with another quantity is refused', async () => {
    const deal = terms()
    await runDealScript(redis, publishDealCall(deal))
    const first = purchase(deal.dealId)
    await runDealScript(redis, reserveCall(first))
    const retry = await runDealScript(redis, reserveCall(purchase(deal.dealId)))
    expect(retry).toEqual({ outcome: 'replayed', orderId: first.orderId, value: 0 })
    const reused = await runDealScript(redis, reserveCall(purchase(deal.dealId, { quantity: 1 })))
    expect(reused).toMatchObject({ outcome: 'idempotency_key_reused', orderId: first.orderId })
    expect(await redis.get(dealStockKey(deal.dealId))).toBe('8')
  })

  test('the refusals carry what the caller shows', async () => {
    const deal = terms({ stock: 3, perUserLimit: 2 })
    await runDealScript(redis, publishDealCall(deal))
    const reserve = (change: { quantity?: number; key?: string }) =>
      runDealScript(redis, reserveCall(purchase(deal.dealId, change)))
    expect(await reserve({ quantity: 3 })).toEqual({
      outcome: 'quantity_above_limit',
      orderId: '',
      value: 2,
    })
    await reserve({ quantity: 2, key: 'a' })
    expect(await reserve({ quantity: 1, key: 'b' })).toMatchObject({
      outcome: 'limit_reached',
      value: 2,
    })
    const unknown = await runDealScript(redis, reserveCall(purchase(crypto.randomUUID())))
    expect(unknown.outcome).toBe('deal_not_found')
  })
})

describe('restore-deal', () => {
  test('rebuilds a deal Redis lost, only while its stock is missing', async () => {
    const deal = terms({ stock: 6 })
    expect(await runDealScript(redis, restoreDealCall(deal))).toBe(true)
    expect(await redis.get(dealStockKey(deal.dealId))).toBe('6')
    expect(await info(deal.dealId)).toEqual(infoOf(deal))
    expect(await runDealScript(redis, restoreDealCall({ ...deal, stock: 50 }))).toBe(false)
    expect(await redis.get(dealStockKey(deal.dealId))).toBe('6')
  })
})

describe('mirror-stock', () => {
  test('lowers the stock, never raises it, never creates it', async () => {
    const deal = terms()
    await runDealScript(redis, publishDealCall(deal))
    expect(await runDealScript(redis, mirrorStockCall(deal.dealId, 7))).toBe(true)
    expect(await runDealScript(redis, mirrorStockCall(deal.dealId, 9))).toBe(false)
    expect(await redis.get(dealStockKey(deal.dealId))).toBe('7')
    const absent = crypto.randomUUID()
    expect(await runDealScript(redis, mirrorStockCall(absent, 3))).toBe(false)
    expect(await redis.exists(dealStockKey(absent))).toBe(0)
  })
})

test('registerDealOutbox puts the deal in the relay registry', async () => {
  const dealId = crypto.randomUUID()
  await registerDealOutbox(redis, dealId)
  await registerDealOutbox(redis, dealId)
  expect(await redis.sismember(OUTBOX_REGISTRY_KEY, dealId)).toBe(1)
  await redis.srem(OUTBOX_REGISTRY_KEY, dealId)
})
