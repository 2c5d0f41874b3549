import {
  dealStockKey,
  publishDealCall,
  registerDealOutbox,
  rescheduleDealCall,
  runDealScript,
} from '@flash-deal/contracts'
import { type Queries, type QueriesFor, type Sql, untracedQueries } from '@flash-deal/db'
import {
  ConflictError,
  isInstant,
  type Logger,
  NotFoundError,
  ServiceUnavailableError,
  ValidationError,
} from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'
import type { DealPatchBody, DealView, NewDealBody } from './model'

type DealRow = NonNullable<Awaited<ReturnType<Queries['getDeal']>>>

const dealStarted = () =>
  new ConflictError(
    'deal-started',
    'Deal already started',
    'A deal that has started (or ended) cannot be edited',
  )

/** A deal row as the deal scripts write it to Redis. */
const dealTerms = (row: DealRow) => ({
  dealId: row.id,
  stock: row.stock,
  price: row.price,
  perUserLimit: row.perUserLimit,
  startsAt: row.startsAt,
  endsAt: row.endsAt,
  productId: row.productId,
})

const invalid = (field: string, message: string) =>
  new ValidationError(`${field}: ${message}`, [{ field, message }])

/**
 * Deals: created in Postgres and published to Redis in one step (the Redis publish happens
 * inside the transaction, so a deal Redis does not know about is never committed), read with
 * a derived status and the remaining stock from wherever it is true right now.
 */
export class DealService {
  private readonly sql: Sql
  private readonly redis: Redis
  private readonly logger: Logger
  private readonly queriesFor: QueriesFor

  constructor(options: {
    sql: Sql
    redis: Redis
    logger: Logger
    /** The query functions for a request (their spans under its span when tracing is on). */
    queriesFor?: QueriesFor
  }) {
    this.sql = options.sql
    this.redis = options.redis
    this.logger = options.logger
    this.queriesFor = options.queriesFor ?? untracedQueries
  }

  async create(input: NewDealBody): Promise<DealView> {
    const queries = this.queriesFor()
    const startsAt = new Date(input.startsAt)
    const endsAt = new Date(input.endsAt)
    if (endsAt <= startsAt) throw invalid('body.endsAt', 'must be after startsAt')
    if (input.perUserLimit > input.stock)
      throw invalid('body.perUserLimit', 'must not exceed stock')
    if (!(await queries.getProduct(this.sql, { id: input.productId }))) {
      throw invalid('body.productId', 'no product has this id')
    }
    const deal = await this.sql.begin(async (tx) => {
      const row = await queries.createDeal(tx, {
        ...input,
        startsAt,
        endsAt,
        holdSeconds: input.holdSeconds ?? null,
      })
      if (!row) throw new Error('INSERT ... RETURNING returned no row')
      try {
        await runDealScript(this.redis, publishDealCall(dealTerms(row)))
        // Registered before the commit: no committed deal takes purchases the relay never drains.
        await registerDealOutbox(this.redis, row.id)
      } catch (error) {
        this.logger.error('deal publish to Redis failed; nothing was created', { error })
        throw new ServiceUnavailableError(
          'Deals cannot be published right now; try again shortly',
          1,
        )
      }
      return row
    })
    return this.view(deal)
  }

  /**
   * Edits a deal that has not started. Postgres (`starts_at > now()`) and Redis (its own clock,
   * in the Lua script) must both agree it has not started; otherwise 409 and nothing changes.
   */
  async update(id: string, patch: DealPatchBody): Promise<DealView> {
    const queries = this.queriesFor()
    const current = await queries.getDeal(this.sql, { id })
    if (!current) throw new NotFoundError(`No deal with id ${id}`)
    const startsAt = patch.startsAt ? new Date(patch.startsAt) : current.startsAt
    const endsAt = patch.endsAt ? new Date(patch.endsAt) : current.endsAt
    if (endsAt <= startsAt) throw invalid('body.endsAt', 'must be after startsAt')
    if ((patch.perUserLimit ?? current.perUserLimit) > (patch.stock ?? current.stock)) {
      throw invalid('body.perUserLimit', 'must not exceed stock')
    }
    const deal = await this.sql.begin(async (tx) => {
      const row = await queries.updateScheduledDeal(tx, {
        id,
        price: patch.price ?? null,
        stock: patch.stock ?? null,
        perUserLimit: patch.perUserLimit ?? null,
        startsAt: patch.startsAt ? startsAt : null,
        endsAt: patch.endsAt ? endsAt : null,
      })
      if (!row) throw dealStarted()
      let replaced: boolean
      try {
        replaced = await runDealScript(this.redis, rescheduleDealCall(dealTerms(row)))
      } catch (error) {
        this.logger.error('deal update could not reach Redis; nothing was changed', { error })
        throw new ServiceUnavailableError('Deals cannot be changed right now; try again shortly', 1)
      }
      if (!replaced) throw dealStarted()
      return row
    })
    return this.view(deal)
  }

  async get(id: string): Promise<DealView> {
    const queries = this.queriesFor()
    const deal = await queries.getDeal(this.sql, { id })
    if (!deal) throw new NotFoundError(`No deal with id ${id}`)
    return this.view(deal)
  }

  async list(status: 'live' | 'upcoming' | 'open'): Promise<DealView[]> {
    const queries = this.queriesFor()
    const rows = await queries.listOpenDeals(this.sql, { window: status, limit: 100 })
    const views = await Promise.all(rows.map((deal) => this.readableView(deal)))
    return views.filter((view): view is DealView => view !== undefined)
  }

  /**
   * One row that cannot be shown (a date no instant can carry, written before the input rules
   * were strict or by hand) is left out of the list and logged: it must never take the list
   * down for everyone.
   */
  private async readableView(deal: DealRow): Promise<DealView | undefined> {
    try {
      const view = await this.view(deal)
      if (isInstant(view.startsAt) && isInstant(view.endsAt)) return view
      this.logger.error('deal left out of the list: its window is not a valid instant', {
        dealId: deal.id,
      })
    } catch (error) {
      this.logger.error('deal left out of the list: its row is unreadable', {
        dealId: deal.id,
        error,
      })
    }
    return undefined
  }

  private async view(deal: DealRow, now = Date.now()): Promise<DealView> {
    const running = deal.startsAt.getTime() <= now && now < deal.endsAt.getTime()
    const remaining = running ? await this.liveRemaining(deal) : deal.stockRemaining
    const status =
      now < deal.startsAt.getTime()
        ? 'scheduled'
        : !running
          ? 'ended'
          : remaining <= 0
            ? 'sold_out'
            : 'live'
    return {
      id: deal.id,
      productId: deal.productId,
      price: deal.price,
      stock: deal.stock,
      perUserLimit: deal.perUserLimit,
      startsAt: deal.startsAt.toISOString(),
      endsAt: deal.endsAt.toISOString(),
      holdSeconds: deal.holdSeconds,
      status,
      remaining,
    }
  }

  /** During the sale Redis holds the truth (reservations land there first). */
  private async liveRemaining(deal: DealRow): Promise<number> {
    try {
      const value = await this.redis.get(dealStockKey(deal.id))
      if (value !== null) {
        const units = Number(value)
        if (Number.isSafeInteger(units)) return Math.max(0, units)
        this.logger.error('deal stock in Redis is not an integer, answering from Postgres', {
          dealId: deal.id,
        })
      }
    } catch (error) {
      this.logger.warn('deal stock unreadable in Redis, answering from Postgres', {
        dealId: deal.id,
        error: (error as Error).message,
      })
    }
    return deal.stockRemaining
  }
}
