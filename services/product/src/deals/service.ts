import {
  publishDealCall,
  registerDealOutbox,
  rescheduleDealCall,
  runDealScript,
} from '@flash-deal/contracts'
import { type QueriesFor, type Sql, untracedQueries } from '@flash-deal/db'
import {
  ConflictError,
  type Logger,
  NotFoundError,
  ServiceUnavailableError,
  ValidationError,
} from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'
import type { DealPatchBody, DealView, NewDealBody } from './model'
import { type DealRow, DealViews } from './view'

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
 * inside the transaction, so a deal Redis does not know about is never committed), read as
 * `DealViews` shows them (./view.ts).
 */
export class DealService {
  private readonly sql: Sql
  private readonly redis: Redis
  private readonly logger: Logger
  private readonly queriesFor: QueriesFor
  private readonly views: DealViews

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
    this.views = new DealViews(options)
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
    return this.views.of(deal)
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
    return this.views.of(deal)
  }

  async get(id: string): Promise<DealView> {
    const queries = this.queriesFor()
    const deal = await queries.getDeal(this.sql, { id })
    if (!deal) throw new NotFoundError(`No deal with id ${id}`)
    return this.views.of(deal)
  }

  async list(status: 'live' | 'upcoming' | 'open'): Promise<DealView[]> {
    const queries = this.queriesFor()
    const rows = await queries.listOpenDeals(this.sql, { window: status, limit: 100 })
    const views = await Promise.all(rows.map((deal) => this.views.readable(deal)))
    return views.filter((view): view is DealView => view !== undefined)
  }
}
