import { isUuid } from '@flash-deal/contracts'
import { type Queries, type QueriesFor, type Sql, untracedQueries } from '@flash-deal/db'
import { type Logger, NotFoundError } from '@flash-deal/kit'
import { listCursor } from '@flash-deal/kit/cursor'
import type { AccessClaims } from '@flash-deal/kit/jwt'
import type { Redis } from '@flash-deal/kit/redis'
import type { OrderStatus, OrderView } from './model'
import { PendingOrders } from './pending-orders'

type OrderRow = NonNullable<Awaited<ReturnType<Queries['getOrder']>>>

const fromRow = (row: OrderRow): OrderView => ({
  id: row.id,
  dealId: row.dealId,
  userId: row.userId,
  quantity: row.quantity,
  unitPrice: row.unitPrice,
  // The table's CHECK constraint allows exactly these statuses.
  status: row.status as OrderStatus,
  total: row.quantity * row.unitPrice,
  createdAt: row.createdAt.toISOString(),
  acceptedAt: row.acceptedAt.toISOString(),
  confirmedAt: row.confirmedAt?.toISOString() ?? null,
  payBy: row.payBy?.toISOString() ?? null,
  paymentReference: row.paymentReference,
})

/** Newest first (UUIDv7 ids sort by time): the page before the order with this id. */
const orderCursor = listCursor({
  parts: (lastId: string) => [lastId],
  read: ([id, ...rest]) => (id && rest.length === 0 && isUuid(id) ? id : undefined),
})

/**
 * Orders as their owners read them. Postgres has every order the consumer (async) or the sync
 * purchase wrote; an order the gateway accepted but the consumer has not written yet is one of
 * the pending orders in Redis.
 */
export interface OrderServiceOptions {
  sql: Sql
  redis: Redis
  logger: Logger
  /** The query functions for a request (their spans under its span when tracing is on). */
  queriesFor?: QueriesFor
}

export class OrderService {
  private readonly sql: Sql
  private readonly queriesFor: QueriesFor
  private readonly pending: PendingOrders

  constructor(options: OrderServiceOptions) {
    this.sql = options.sql
    this.queriesFor = options.queriesFor ?? untracedQueries
    this.pending = new PendingOrders({ ...options, queriesFor: this.queriesFor })
  }

  /** Anyone but the owner or an admin gets the same 404 as for an unknown id: ids leak nothing. */
  async get(id: string, reader: AccessClaims): Promise<OrderView> {
    const order = (await this.fromPostgres(id)) ?? (await this.pending.find(id))
    if (!order || (order.userId !== reader.sub && reader.role !== 'admin')) {
      throw new NotFoundError(`No order with id ${id}`)
    }
    return order
  }

  async list(userId: string, limit: number, cursor?: string) {
    const queries = this.queriesFor()
    const beforeId = cursor ? orderCursor.decode(cursor) : null
    // One row more than asked tells whether another page exists, so the last page has no cursor.
    const rows = await queries.listUserOrders(this.sql, { userId, beforeId, limit: limit + 1 })
    const items = rows.slice(0, limit).map(fromRow)
    const last = items.at(-1)
    return { items, nextCursor: rows.length > limit && last ? orderCursor.encode(last.id) : null }
  }

  private async fromPostgres(id: string): Promise<OrderView | null> {
    const row = await this.queriesFor().getOrder(this.sql, { id })
    return row ? fromRow(row) : null
  }
}
