import type { OrderAccepted } from '@flash-deal/contracts'
import { queries as plainQueries, type Queries, type TransactionSql } from '@flash-deal/db'

interface Poison {
  event: OrderAccepted
  reason: string
}

export interface AppliedBatch {
  /** Orders written now, as `confirmed`. */
  confirmed: OrderAccepted[]
  /** Orders written now as `rejected`: Postgres had no stock left for them (Redis drifted). */
  rejected: OrderAccepted[]
  /** Orders already in Postgres (a redelivery): nothing written. */
  duplicates: number
  /** Events that can never apply (unknown deal or user): for the dead-letter topic. */
  poison: Poison[]
}

type Row = OrderAccepted & { status: 'confirmed' | 'rejected' }

/**
 * Applies a batch of accepted orders inside one transaction: each order is inserted once (by
 * its id — redelivered events insert nothing), and each deal's `stock_remaining` goes down by
 * the quantities inserted now. The deals are locked first, so this and a concurrent sync-mode
 * purchase see the same stock; an order the remaining stock cannot cover is stored `rejected`
 * instead of breaking the non-negative stock guarantee (that only happens if Redis lost state).
 */
export async function applyOrders(
  tx: TransactionSql,
  events: OrderAccepted[],
  /** The query functions to use (traced ones when tracing is on). */
  queries: Queries = plainQueries,
): Promise<AppliedBatch> {
  const result: AppliedBatch = { confirmed: [], rejected: [], duplicates: 0, poison: [] }
  if (events.length === 0) return result
  const rows = judge(events, await whatPostgresHas(tx, events, queries), result)
  if (rows.length > 0) await insertAndTakeStock(tx, rows, queries, result)
  return result
}

/** The batch's deals (locked, with their stock left), known users and orders already written. */
async function whatPostgresHas(tx: TransactionSql, events: OrderAccepted[], queries: Queries) {
  const unique = <T>(values: T[]) => [...new Set(values)]
  const rows = await queries.lockBatchState(tx, {
    dealIds: unique(events.map((e) => e.dealId)),
    userIds: unique(events.map((e) => e.userId)),
    orderIds: events.map((e) => e.orderId),
  })
  const has = {
    stockLeft: new Map<string, number>(),
    users: new Set<string>(),
    existing: new Set<string>(),
  }
  for (const { kind, id, stockRemaining } of rows) {
    if (id === null) continue
    if (kind === 'deal') has.stockLeft.set(id, stockRemaining ?? 0)
    else if (kind === 'user') has.users.add(id)
    else has.existing.add(id)
  }
  return has
}

/** Each event as a row to insert (confirmed while the stock covers it), poison or a duplicate. */
function judge(
  events: OrderAccepted[],
  { stockLeft, users, existing }: Awaited<ReturnType<typeof whatPostgresHas>>,
  result: AppliedBatch,
): Row[] {
  const rows: Row[] = []
  for (const event of events) {
    const left = stockLeft.get(event.dealId)
    if (left === undefined) {
      result.poison.push({ event, reason: `unknown deal ${event.dealId}` })
    } else if (!users.has(event.userId)) {
      result.poison.push({ event, reason: `unknown user ${event.userId}` })
    } else if (existing.has(event.orderId)) {
      result.duplicates++
    } else {
      existing.add(event.orderId)
      const fits = left >= event.quantity
      if (fits) stockLeft.set(event.dealId, left - event.quantity)
      rows.push({ ...event, status: fits ? 'confirmed' : 'rejected' })
    }
  }
  return rows
}

/** Inserts the rows; the same statement takes the stock of the confirmed rows inserted now. */
async function insertAndTakeStock(
  tx: TransactionSql,
  rows: Row[],
  queries: Queries,
  result: AppliedBatch,
) {
  const inserted = await queries.insertOrders(tx, {
    ids: rows.map((r) => r.orderId),
    dealIds: rows.map((r) => r.dealId),
    userIds: rows.map((r) => r.userId),
    quantities: rows.map((r) => r.quantity),
    unitPrices: rows.map((r) => r.unitPrice),
    statuses: rows.map((r) => r.status),
    idempotencyKeys: rows.map((r) => r.idempotencyKey),
    // ISO strings: postgres.js cannot serialise a Date[] into timestamptz[].
    acceptedAts: rows.map((r) => r.acceptedAt),
  })
  // A conflicting row inserted nothing (and took no stock): a duplicate.
  const insertedIds = new Set(inserted.map((row) => row.id))
  for (const { status, ...event } of rows) {
    if (!insertedIds.has(event.orderId)) result.duplicates++
    else if (status === 'confirmed') result.confirmed.push(event)
    else result.rejected.push(event)
  }
}
