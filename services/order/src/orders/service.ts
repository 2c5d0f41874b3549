import { PENDING_ORDERS_KEY, type PendingOrder } from '@flash-deal/contracts'
import { type Queries, type QueriesFor, type Sql, untracedQueries } from '@flash-deal/db'
import {
  type Logger,
  NotFoundError,
  ServiceUnavailableError,
  type TraceContext,
} from '@flash-deal/kit'
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
 * Orders as their owners read them. Postgres has every order the consumer (async) or the sync
 * purchase wrote; an order the gateway accepted but the consumer has not written yet is only in
 * Redis, as a pending record.
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
  async get(id: string, reader: AccessClaims, trace?: TraceContext): Promise<OrderView> {
    const order = (await this.fromPostgres(id, trace)) ?? (await this.fromRedis(id, trace))
    if (!order || (order.userId !== reader.sub && reader.role !== 'admin')) {
      throw new NotFoundError(`No order with id ${id}`)
    }
    return order
  }

  async list(userId: string, limit: number, cursor?: string, trace?: TraceContext) {
    const queries = this.queriesFor(trace)
    const beforeId = cursor ? decodeCursor(cursor) : null
    // One row more than asked tells whether another page exists, so the last page has no cursor.
    const rows = await queries.listUserOrders(this.sql, { userId, beforeId, limit: limit + 1 })
    const items = rows.slice(0, limit).map(fromRow)
    const last = items.at(-1)
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null }
  }

  private async fromPostgres(id: string, trace?: TraceContext): Promise<OrderView | null> {
    const row = await this.queriesFor(trace).getOrder(this.sql, { id })
    return row ? fromRow(row) : null
  }

  private async fromRedis(id: string, trace?: TraceContext): Promise<OrderView | null> {
    let value: string | null
    try {
      value = await this.redis.hget(PENDING_ORDERS_KEY, id)
    } catch (error) {
      this.logger.warn('pending orders unreadable in Redis', { orderId: id, error })
      // Not in Postgres may still mean accepted and on its way: without Redis we cannot say 404.
      throw new ServiceUnavailableError('Orders cannot be read right now; try again shortly', 1)
    }
    if (value !== null) return fromPending(JSON.parse(value) as PendingOrder)
    // The consumer may have written the order between the two reads and dropped its pending
    // record: one more look at Postgres keeps that moment from answering 404.
    return this.fromPostgres(id, trace)
  }
}
