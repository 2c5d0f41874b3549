/**
 * A deal's Redis state for the order tests, written by the real writers: publish-deal and
 * reserve.lua through the kit's loader, as the product service and the gateway write it. No test
 * hand-copies a production format (the info hash, an outbox entry, a pending order record).
 */
import {
  type DealTerms,
  dealOutboxKey,
  outboxEntryFields,
  publishDealCall,
  type Reservation,
  reserveCall,
  runDealScript,
} from '@flash-deal/contracts'
import type { Redis } from '@flash-deal/kit/redis'
import { v7 as uuidv7 } from 'uuid'

/** A deal's terms, named by `id` as the Postgres rows are. */
export type PublishedDeal = Omit<DealTerms, 'dealId'> & { id: string }

/** A live deal, in Redis only, by default: 1000 units at 4900, up to 3 per buyer. */
export const liveDeal = (change: Partial<PublishedDeal> = {}): PublishedDeal => ({
  id: crypto.randomUUID(),
  stock: 1000,
  price: 4_900,
  perUserLimit: 3,
  startsAt: new Date(Date.now() - 60_000),
  endsAt: new Date(Date.now() + 3_600_000),
  productId: crypto.randomUUID(),
  ...change,
})

/** Publishes the deal as the product service does (publish-deal: stock and info). */
export async function publishDeal(redis: Redis, deal: PublishedDeal, stock = deal.stock) {
  const published = await runDealScript(redis, publishDealCall({ ...deal, dealId: deal.id, stock }))
  if (!published) throw new Error(`deal ${deal.id} was already in Redis`)
  return deal
}

/**
 * One purchase as the gateway makes it (reserve.lua), which must be accepted; returns the order
 * id and the outbox entry the script appended with it (the deal's newest).
 */
export async function reserve(
  redis: Redis,
  purchase: Pick<Reservation, 'dealId'> & Partial<Reservation>,
) {
  const reservation: Reservation = {
    userId: crypto.randomUUID(),
    idempotencyKey: `key-${crypto.randomUUID()}`,
    quantity: 1,
    orderId: uuidv7(),
    traceparent: '',
    ...purchase,
  }
  const reply = await runDealScript(redis, reserveCall(reservation))
  if (reply.outcome !== 'accepted') throw new Error(`reservation refused: ${reply.outcome}`)
  const [newest] = await redis.xrevrange(dealOutboxKey(reservation.dealId), '+', '-', 'COUNT', 1)
  const entry = newest ? outboxEntryFields(newest[1]) : {}
  if (entry.orderId !== reservation.orderId) throw new Error('the outbox entry is not the order')
  return { reservation, reply, entry, entryFields: newest?.[1] ?? [] }
}
