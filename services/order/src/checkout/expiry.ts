import type { OrderRelease } from '@flash-deal/contracts'
import { queries } from '@flash-deal/db'
import { PeriodicJob } from './periodic'
import type { ReleaseJobOptions } from './release'

/**
 * Expires held orders past their payBy and releases their units. One batch is one Postgres
 * transaction: the due orders are locked with SKIP LOCKED (several instances take different
 * orders, none waits), each is released by the Releaser's one statement, and the batch commits
 * or rolls back whole — a job killed mid-run leaves either nothing or whole releases, whose
 * Redis side the sweeper finishes. A payment racing an expiry is decided by the same row lock.
 */
export class ExpiryJob extends PeriodicJob {
  constructor(private readonly options: ReleaseJobOptions) {
    super(options.intervalMs)
  }

  protected async round() {
    try {
      const released = await this.runOnce()
      if (released.length > 0)
        this.options.logger.info('held orders expired', { released: released.length })
    } catch (error) {
      this.options.logger.error('expiry run failed', { error })
    }
  }

  /** Expires one batch; answers the releases made (already applied to Redis when it could). */
  async runOnce(): Promise<OrderRelease[]> {
    const { sql, releaser } = this.options
    const released = await sql.begin(async (tx) => {
      const due = await queries.lockExpiredOrders(tx, { limit: this.options.batch ?? 200 })
      const made: OrderRelease[] = []
      for (const { id } of due) {
        const release = await releaser.decide(tx, id, 'expired')
        if (release) made.push(release)
      }
      return made
    })
    await releaser.applySoon(released)
    return released
  }
}
