import { dealOrdersKey, type PendingOrder, parsePendingOrder } from '@flash-deal/contracts'
import type { QueriesFor, Sql } from '@flash-deal/db'
import { type Logger, ServiceUnavailableError } from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'
import type { OrderView } from './model'

/**
 * How far the gateway's clock (which stamps the UUIDv7 order id) may be from Redis's (which
 * judges the deal's window) and still find the order's deal. Generous: a wider margin only adds
 * candidate deals to look in, never a wrong answer.
 */
const CLOCK_SKEW_MS = 5 * 60_000

/** The millisecond timestamp a UUIDv7 carries (its first 48 bits); null for another version. */
function uuidv7Time(id: string): number | null {
  if (id[14] !== '7') return null
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)
}

const fromPending = (pending: PendingOrder, holdSeconds: number): OrderView => ({
  id: pending.id,
  dealId: pending.dealId,
  userId: pending.userId,
  quantity: pending.quantity,
  unitPrice: pending.unitPrice,
  status: 'pending',
  total: pending.quantity * pending.unitPrice,
  createdAt: pending.acceptedAt,
  acceptedAt: pending.acceptedAt,
  confirmedAt: null,
  // The same rule as Postgres's: acceptedAt (Redis's clock) + the deal's hold.
  payBy: new Date(Date.parse(pending.acceptedAt) + holdSeconds * 1000).toISOString(),
  paymentReference: null,
})

/**
 * The read model of orders the gateway accepted and Postgres does not have yet: the record
 * `reserve.lua` writes with the reservation in the deal's slot (`deal:{id}:orders`), so a 202's
 * Location answers at once, whatever the relay and the consumer are doing. Only the order
 * service reads it; it expires with the rest of the deal's purchase state.
 */
export class PendingOrders {
  constructor(
    private readonly options: { sql: Sql; redis: Redis; logger: Logger; queriesFor: QueriesFor },
  ) {}

  /**
   * The id alone does not name the deal, but as a UUIDv7 it carries the instant the gateway
   * accepted it: the deal is one whose window held that instant (Postgres knows which), so only
   * those deals (usually one) are asked, one HGET each in its own slot.
   */
  async find(id: string): Promise<OrderView | null> {
    const acceptedAt = uuidv7Time(id)
    if (acceptedAt === null) return null
    const { sql, redis, logger, queriesFor } = this.options
    const deals = await queriesFor().listDealsOpenAround(sql, {
      earliest: new Date(acceptedAt - CLOCK_SKEW_MS),
      latest: new Date(acceptedAt + CLOCK_SKEW_MS),
    })
    if (deals.length === 0) return null
    let values: (string | null)[]
    try {
      values = await Promise.all(deals.map((deal) => redis.hget(dealOrdersKey(deal.id), id)))
    } catch (error) {
      logger.warn('accepted orders unreadable in Redis', { orderId: id, error })
      // Not in Postgres may still mean accepted and on its way: without Redis we cannot say 404.
      throw new ServiceUnavailableError('Orders cannot be read right now; try again shortly', 1)
    }
    for (const [i, value] of values.entries()) {
      const deal = deals[i]
      if (value === null || !deal) continue
      const pending = parsePendingOrder(deal.id, id, value)
      if (pending) return fromPending(pending, deal.holdSeconds)
      logger.error('accepted order record in Redis is malformed', { orderId: id, value })
    }
    return null
  }
}
