import { dealStockKey } from '@flash-deal/contracts'
import type { Queries } from '@flash-deal/db'
import { isInstant, type Logger } from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'
import type { DealView } from './model'

export type DealRow = NonNullable<Awaited<ReturnType<Queries['getDeal']>>>

/**
 * A deal as the API shows it: its status derived from the clock and its remaining stock from
 * wherever it is true right now (Redis during the sale, Postgres before and after).
 */
export class DealViews {
  constructor(private readonly deps: { redis: Redis; logger: Logger }) {}

  /**
   * One row that cannot be shown (a date no instant can carry, written before the input rules
   * were strict or by hand) is left out of the list and logged: it must never take the list
   * down for everyone.
   */
  async readable(deal: DealRow): Promise<DealView | undefined> {
    try {
      const view = await this.of(deal)
      if (isInstant(view.startsAt) && isInstant(view.endsAt)) return view
      this.deps.logger.error('deal left out of the list: its window is not a valid instant', {
        dealId: deal.id,
      })
    } catch (error) {
      this.deps.logger.error('deal left out of the list: its row is unreadable', {
        dealId: deal.id,
        error,
      })
    }
    return undefined
  }

  async of(deal: DealRow, now = Date.now()): Promise<DealView> {
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
      const value = await this.deps.redis.get(dealStockKey(deal.id))
      if (value !== null) {
        const units = Number(value)
        if (Number.isSafeInteger(units)) return Math.max(0, units)
        this.deps.logger.error('deal stock in Redis is not an integer, answering from Postgres', {
          dealId: deal.id,
        })
      }
    } catch (error) {
      this.deps.logger.warn('deal stock unreadable in Redis, answering from Postgres', {
        dealId: deal.id,
        error: (error as Error).message,
      })
    }
    return deal.stockRemaining
  }
}
