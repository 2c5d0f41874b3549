import { mirrorStockCall, purchaseRefused, runDealScript } from '@flash-deal/contracts'
import { type QueriesFor, type Sql, type TransactionSql, untracedQueries } from '@flash-deal/db'
import type { Logger } from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'
import { v7 as uuidv7 } from 'uuid'

export interface PurchaseRequest {
  dealId: string
  userId: string
  quantity: number
  idempotencyKey: string
}

export interface PurchaseResult {
  orderId: string
  status: 'pending' | 'confirmed'
  /** True when the Idempotency-Key named an earlier purchase and nothing new was taken. */
  replayed: boolean
}

/**
 * The sync-mode purchase (Phase 1): every rule judged and the stock taken in one Postgres
 * transaction. The checks run in the same order as the gateway's reservation script
 * (idempotency, window, limit, stock), so both modes refuse the same request the same way.
 */
export interface PurchaseServiceOptions {
  sql: Sql
  redis: Redis
  logger: Logger
  /** The query functions for a request (their spans under its span when tracing is on). */
  queriesFor?: QueriesFor
}

export class PurchaseService {
  private readonly sql: Sql
  private readonly redis: Redis
  private readonly logger: Logger
  private readonly queriesFor: QueriesFor

  constructor(options: PurchaseServiceOptions) {
    this.sql = options.sql
    this.logger = options.logger
    this.queriesFor = options.queriesFor ?? untracedQueries
    this.redis = options.redis
  }

  async purchase(request: PurchaseRequest): Promise<PurchaseResult> {
    const outcome = await this.sql.begin((tx) => this.decide(tx, request))
    if (outcome.stockRemaining !== undefined) {
      await this.mirrorStock(request.dealId, outcome.stockRemaining)
    }
    return { orderId: outcome.orderId, status: outcome.status, replayed: outcome.replayed }
  }

  /** Throws a refusal (and so rolls back: a refused purchase writes nothing) or takes stock. */
  private async decide(
    tx: TransactionSql,
    { dealId, userId, quantity, idempotencyKey }: PurchaseRequest,
  ) {
    const queries = this.queriesFor()
    // Held to commit: the same buyer's concurrent requests on this deal queue here, so the
    // idempotency and limit checks below see each other's orders.
    await queries.lockDealBuyer(tx, { dealId, userId })

    const earlier = await queries.getOrderByIdempotencyKey(tx, { dealId, userId, idempotencyKey })
    if (earlier) {
      if (earlier.quantity !== quantity) throw purchaseRefused('idempotency-key-reused')
      // An async order the consumer rejected (its stock did not fit) was, in the end, sold out.
      if (earlier.status === 'rejected') throw purchaseRefused('sold-out')
      const status = earlier.status === 'pending' ? 'pending' : 'confirmed'
      return { orderId: earlier.id, status, replayed: true } as const
    }

    const deal = await queries.getDealForPurchase(tx, { id: dealId })
    if (!deal) throw purchaseRefused('deal-not-found')
    if (deal.notStarted) throw purchaseRefused('not-started')
    if (deal.ended) throw purchaseRefused('ended')
    const limit = deal.perUserLimit
    if (quantity > limit) throw purchaseRefused('quantity-above-limit', { limit })
    const bought = (await queries.sumUserDealQuantity(tx, { dealId, userId }))?.bought ?? 0
    if (bought + quantity > limit) throw purchaseRefused('limit-reached', { limit })

    const taken = await queries.takeDealStock(tx, { id: dealId, quantity })
    if (!taken) throw purchaseRefused('sold-out')
    const order = await queries.insertConfirmedOrder(tx, {
      id: uuidv7(),
      dealId,
      userId,
      quantity,
      unitPrice: deal.price,
      idempotencyKey,
    })
    if (!order) throw new Error('INSERT ... RETURNING returned no row')
    return {
      orderId: order.id,
      status: 'confirmed',
      replayed: false,
      stockRemaining: taken.stockRemaining,
    } as const
  }

  /**
   * Keeps the live stock the deal pages read from Redis in step with Postgres. Postgres is the
   * truth in sync mode, so a failed mirror only leaves Redis high until the reconciler repairs it.
   */
  private async mirrorStock(dealId: string, remaining: number) {
    try {
      await runDealScript(this.redis, mirrorStockCall(dealId, remaining))
    } catch (error) {
      this.logger.warn('deal stock mirror to Redis failed', { dealId, remaining, error })
    }
  }
}
