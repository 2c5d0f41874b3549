import { ORDERS_RELEASED, type OrderReleased } from '@flash-deal/contracts'
import { queries, type Sql } from '@flash-deal/db'
import type { Logger } from '@flash-deal/kit'
import type { Producer } from 'kafkajs'
import { PeriodicJob } from './periodic'

type UnpublishedRelease = Awaited<ReturnType<typeof queries.lockUnpublishedReleases>>[number]

/** A row of the release outbox as the `OrderReleased` v1 event every other reader gets. */
export function orderReleasedEvent(row: UnpublishedRelease): OrderReleased {
  return {
    type: 'OrderReleased',
    version: 1,
    orderId: row.orderId,
    dealId: row.dealId,
    userId: row.userId,
    quantity: row.quantity,
    reason: row.reason as OrderReleased['reason'],
    releasedAt: new Date(row.createdAt).toISOString(),
  }
}

/**
 * Publishes the release outbox (`order_releases`) to Kafka `orders.released`, at least once:
 * a batch of unpublished rows is locked (SKIP LOCKED: publishers in several order processes
 * share), sent with acks from every in-sync replica, and only then marked published in the same
 * transaction. A crash or a Kafka outage before the commit leaves the rows unpublished, and they
 * are sent again — readers dedupe by `orderId`. Keyed by deal id, as `orders.accepted` is.
 */
export class ReleasePublisher extends PeriodicJob {
  constructor(
    private readonly options: {
      sql: Sql
      producer: Producer
      logger: Logger
      intervalMs: number
      topic?: string
      batch?: number
    },
  ) {
    super(options.intervalMs)
  }

  protected async round() {
    await this.publishOnce().catch((error) =>
      this.options.logger.warn('releases not published yet; retried next round', { error }),
    )
  }

  /** One batch; answers how many releases it published. */
  async publishOnce(): Promise<number> {
    const { sql, producer } = this.options
    return await sql.begin(async (tx) => {
      const rows = await queries.lockUnpublishedReleases(tx, { limit: this.options.batch ?? 500 })
      if (rows.length === 0) return 0
      await producer.send({
        topic: this.options.topic ?? ORDERS_RELEASED,
        acks: -1,
        messages: rows.map((row) => ({
          key: row.dealId,
          value: JSON.stringify(orderReleasedEvent(row)),
        })),
      })
      await queries.markReleasesPublished(tx, { orderIds: rows.map((row) => row.orderId) })
      return rows.length
    })
  }
}
