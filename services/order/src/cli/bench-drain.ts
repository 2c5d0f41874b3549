/**
 * The drain phase of a bench run (bench-check.ts --backlog / --drain): the async front-door runs'
 * orders wait in the Redis outboxes, then the relay and the consumer move them to Postgres.
 */
import { dealOutboxKey } from '@flash-deal/contracts'
import { type BenchContext, orderTotals } from './bench-deal'
import type { BenchSetup, BenchSummary, StoreLimits } from './bench-goals'

/** The deals of the async front-door runs, with what the gateway accepted for each. */
export const asyncDeals = (setup: BenchSetup, summary: BenchSummary) =>
  (['async', 'traced', 'async-upstash', 'edge'] as const).flatMap((mode) => {
    const run = summary.runs[mode]
    return run && run.accepted > 0
      ? [{ mode, dealId: setup.deals[mode], accepted: run.accepted }]
      : []
  })

/** Before the relay starts: the whole spike waits in the outboxes, none of it in Postgres. */
export async function checkBacklog(
  { sql, redis, verdict }: BenchContext,
  deals: ReturnType<typeof asyncDeals>,
) {
  for (const deal of deals) {
    const [outbox, rows] = await Promise.all([
      redis.xlen(dealOutboxKey(deal.dealId)),
      orderTotals(sql, deal.dealId),
    ])
    verdict(
      outbox >= deal.accepted && rows.orders === 0,
      `${deal.mode}: backlog in place before the drain: ${outbox} outbox records for ${deal.accepted} accepted, ${rows.orders} already in Postgres`,
    )
  }
}

/**
 * Waits until Postgres holds every order the async front-door runs accepted (the relay and the
 * consumer started just before, with the whole spike waiting in the outboxes) and prints the
 * rate: orders from the Redis outbox through Kafka into Postgres per second.
 */
export async function measureDrain(
  { sql, drainTimeoutMs }: BenchContext,
  deals: ReturnType<typeof asyncDeals>,
  report: { limits?: StoreLimits; outPath?: string },
) {
  const backlog = deals.reduce((sum, deal) => sum + deal.accepted, 0)
  if (backlog === 0) return
  const started = Date.now()
  let first: { at: number; done: number } | undefined
  for (;;) {
    const rows = await Promise.all(
      deals.map(async (deal) => (await orderTotals(sql, deal.dealId)).orders),
    )
    const done = rows.reduce((sum, count) => sum + count, 0)
    const now = Date.now()
    if (!first && done > 0) first = { at: now, done }
    if (first && done >= backlog && now > first.at) {
      const orders = backlog - first.done
      const seconds = (now - first.at) / 1000
      const rate = orders / seconds
      const baseline = report.limits?.postgresBatchInsertRowsPerSecond
      console.log(
        `drain: ${orders} orders from the outboxes through Kafka into Postgres in ${seconds.toFixed(1)} s (${Math.round(rate)} orders/s${baseline ? `, ${(rate / baseline).toFixed(2)} of Postgres's batched-insert rate, ${baseline}/s` : ''}), after ${((first.at - started) / 1000).toFixed(1)} s of start-up`,
      )
      if (report.outPath)
        await Bun.write(report.outPath, JSON.stringify({ from: first.at, to: now, orders }))
      return
    }
    if (now - started >= drainTimeoutMs) {
      console.log(
        `drain: ${done} / ${backlog} orders in Postgres after ${((now - started) / 1000).toFixed(0)} s`,
      )
      return
    }
    await Bun.sleep(100)
  }
}
