import { dealOrdersKey, type PendingOrder, parsePendingOrder } from '@flash-deal/contracts'
import { type Queries, type QueriesFor, type Sql, untracedQueries } from '@flash-deal/db'
import { type Logger, NotFoundError, ServiceUnavailableError } from '@flash-deal/kit'
import type { AccessClaims } from '@flash-deal/kit/jwt'
import type { Redis } from '@flash-deal/kit/redis'
import { decodeCursor, encodeCursor } from './cursor'
import type { OrderStatus, OrderView } from './model'

type OrderRow = NonNullable<Awaited<ReturnType<Queries['getOrder']>>>

const fromRow = (row: OrderRow): OrderView => ({
  id: row.id,
  dealId: row.dealId,
  userId: row.userId,
  quantity: row.quantity,
  unitPrice: row.unitPrice,
  // The table's CHECK constraint allows exactly these statuses.
  status: row.status as OrderStatus,
  createdAt: row.createdAt.toISOString(),
  acceptedAt: row.acceptedAt.toISOString(),
  confirmedAt: row.confirmedAt?.toISOString() ?? null,
})

const fromPending = (pending: PendingOrder): OrderView => ({
  id: pending.id,
  dealId: pending.dealId,
  userId: pending.userId,
  quantity: pending.quantity,
  unitPrice: pending.unitPrice,
  status: 'pending',
  createdAt: pending.acceptedAt,
  acceptedAt: pending.acceptedAt,
  confirmedAt: null,
})

/**
 * How far the gateway's clock (which stamps the UUIDv7 order id) may be from Redis's (which
 * judges the deal's window) and still find the order's deal. Generous: a wider margin only adds
 * candidate deals to look in, never a wrong answer.
 */
const CLOCK_SKEW_MS = 5 * 60_000

/** The millisecond timestamp a UUIDv7 carries (its first 48 bits); null for another version. */
export function uuidv7Time(id: string): number | null {
  if (id[14] !== '7') return null
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)
}

/**
 * Orders as their owners read them. Postgres has every order the consumer (async) or the sync
 * purchase wrote; an order the gateway accepted but the consumer has not written yet is read
 * from the record `reserve.lua` wrote with the reservation (`deal:{id}:orders`), so a 202's
 * Location answers at once, whatever the relay and the consumer are doing.
 */
export class OrderService {
  constructor(
    private readonly sql: Sql,
    private readonly redis: Redis,
    private readonly logger: Logger,
    /** The query functions for a request (their spans under its span when tracing is on). */
    private readonly queriesFor: QueriesFor = untracedQueries,
  ) {}

  /** Anyone but the owner or an admin gets the same 404 as for an unknown id: ids leak nothing. */
  async get(id: string, reader: AccessClaims): Promise<OrderView> {
    const order = (await this.fromPostgres(id)) ?? (await this.fromRedis(id))
    if (!order || (order.userId !== reader.sub && reader.role !== 'admin')) {
      throw new NotFoundError(`No order with id ${id}`)
    }
    return order
  }

  async list(userId: string, limit: number, cursor?: string) {
    const queries = this.queriesFor()
    const beforeId = cursor ? decodeCursor(cursor) : null
    // One row more than asked tells whether another page exists, so the last page has no cursor.
    const rows = await queries.listUserOrders(this.sql, { userId, beforeId, limit: limit + 1 })
    const items = rows.slice(0, limit).map(fromRow)
    const last = items.at(-1)
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null }
  }

  private async fromPostgres(id: string): Promise<OrderView | null> {
    const row = await this.queriesFor().getOrder(this.sql, { id })
    return row ? fromRow(row) : null
  }

  /**
   * The accepted order's record in its deal's slot. The id alone does not name the deal, but as
   * a UUIDv7 it carries the instant the gateway accepted it: the deal is one whose window held
   * that instant, so only those deals (usually one) are asked, one HGET each in its own slot.
   */
  private async fromRedis(id: string): Promise<OrderView | null> {
    const acceptedAt = uuidv7Time(id)
    if (acceptedAt === null) return null
    const deals = await this.queriesFor().listDealsOpenAround(this.sql, {
      earliest: new Date(acceptedAt - CLOCK_SKEW_MS),
      latest: new Date(acceptedAt + CLOCK_SKEW_MS),
    })
    if (deals.length === 0) return null
    let values: (string | null)[]
    try {
      values = await Promise.all(deals.map((deal) => this.redis.hget(dealOrdersKey(deal.id), id)))
    } catch (error) {
      this.logger.warn('accepted orders unreadable in Redis', { orderId: id, error })
      // Not in Postgres may still mean accepted and on its way: without Redis we cannot say 404.
      throw new ServiceUnavailableError('Orders cannot be read right now; try again shortly', 1)
    }
    for (const [i, value] of values.entries()) {
      const deal = deals[i]
      if (value === null || !deal) continue
      const pending = parsePendingOrder(deal.id, id, value)
      if (pending) return fromPending(pending)
      this.logger.error('accepted order record in Redis is malformed', { orderId: id, value })
    }
    return null
  }
}
