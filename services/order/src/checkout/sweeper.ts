import { queries } from '@flash-deal/db'
import { PeriodicJob } from './periodic'
import type { ReleaseJobOptions } from './release'

/** Retries the releases Redis has not been given (a crash or an outage after the commit). */
export class ReleaseSweeper extends PeriodicJob {
  constructor(
    private readonly options: ReleaseJobOptions & {
      /** Rows younger than this are left to the request that made them (it applies at once). */
      minAgeSeconds?: number
    },
  ) {
    super(options.intervalMs)
  }

  protected async round() {
    try {
      const applied = await this.sweep()
      if (applied > 0) this.options.logger.info('releases applied by the sweeper', { applied })
    } catch (error) {
      this.options.logger.error('release sweep failed', { error })
    }
  }

  /** One sweep; the rows are locked (SKIP LOCKED), so sweepers in several processes share. */
  async sweep(): Promise<number> {
    const { sql, releaser } = this.options
    return await sql.begin(async (tx) => {
      const due = await queries.lockUnappliedReleases(tx, {
        minAgeSeconds: this.options.minAgeSeconds ?? 2,
        limit: this.options.batch ?? 200,
      })
      let applied = 0
      for (const { dealEnded, ...release } of due) {
        const outcome = await releaser.apply(tx, release, dealEnded === true)
        if (outcome !== 'absent' || dealEnded) applied++
      }
      return applied
    })
  }
}
