/** The bench's inputs as bench-check.ts reads them, and the goals it reports (not enforced). */

export type Mode = 'sync' | 'async' | 'traced' | 'pipeline' | 'async-upstash' | 'edge' | 'crowd'

/** The parts of scripts/bench/purchase-setup.ts's output this check reads. */
export interface BenchSetup {
  stock: number
  crowdStock?: number
  deals: Record<Mode, string>
}

/** The parts of infra/k6/crowd.js's summary this check reads (BENCH_CROWD names it). */
export interface CrowdSummary {
  arrivals: number
  accepted: { count: number; p50: number; p99: number }
  soldOut: { count: number; p50: number; p99: number }
  errors: number
}

/** The parts of infra/k6/purchase-spike.js's summary this check reads. */
export interface BenchSummary {
  runs: Partial<Record<Mode, { accepted: number; errors: number; perSecond: number }>>
  ratios: {
    asyncOverHello: number | null
    asyncOverSync: number | null
    tracedOverAsync?: number | null
    pipelineOverHello?: number | null
    pipelineOverSync?: number | null
    upstashOverAsync?: number | null
    edgeOverAsync?: number | null
    edgeOverUpstash?: number | null
  }
}

/** The stores' own ceilings on this box (scripts/bench/limits.sh), when measured in this run. */
export interface StoreLimits {
  redisReservePerSecond: number
  postgresHotRowPerSecond: number
  postgresBatchInsertRowsPerSecond: number
}

const goals = { asyncOverHello: 0.4, asyncOverSync: 10, crowdAcceptedP99Ms: 50 }

/** The throughput goals and the stores' limits, as information: they never fail the check. */
export function printGoals(
  summary: BenchSummary,
  crowd: CrowdSummary | undefined,
  limits: StoreLimits | undefined,
) {
  // A ratio is null in the JSON when a run had nothing to divide by (NaN does not survive JSON).
  const goal = (ratio: number | null, target: number) =>
    typeof ratio === 'number' && Number.isFinite(ratio)
      ? `${ratio.toFixed(2)}x, ${ratio >= target ? 'met' : 'not met'}`
      : 'n/a'
  console.log('goals (reported, not enforced):')
  console.log(
    `  async >= ${goals.asyncOverHello}x hello: ${goal(summary.ratios.asyncOverHello, goals.asyncOverHello)}`,
  )
  console.log(
    `  async >= ${goals.asyncOverSync}x sync:  ${goal(summary.ratios.asyncOverSync, goals.asyncOverSync)}`,
  )
  console.log(
    `  with the relay, Kafka and the consumer draining on the same cores (pipeline): ${goal(summary.ratios.pipelineOverHello ?? null, goals.asyncOverHello)} (x hello), ${goal(summary.ratios.pipelineOverSync ?? null, goals.asyncOverSync)} (x sync)`,
  )
  const shown = (ratio: number | null | undefined) =>
    typeof ratio === 'number' ? `${ratio.toFixed(2)}x` : 'n/a'
  console.log(
    `  the Redis adapter and the runtime: async-upstash (Bun, HTTP) / async (Bun, TCP) ${shown(summary.ratios.upstashOverAsync)}, edge (workerd, HTTP) / async ${shown(summary.ratios.edgeOverAsync)}, edge / async-upstash ${shown(summary.ratios.edgeOverUpstash)}`,
  )
  console.log(
    `  tracing on, collector down: ${typeof summary.ratios.tracedOverAsync === 'number' ? `${summary.ratios.tracedOverAsync.toFixed(2)}x of async without tracing` : 'n/a'}`,
  )
  if (crowd) {
    const ms = (figure: { p50: number; p99: number }) =>
      `p50 ${figure.p50.toFixed(1)} ms, p99 ${figure.p99.toFixed(1)} ms`
    console.log(
      `  crowd: accepted ${ms(crowd.accepted)} (p99 < ${goals.crowdAcceptedP99Ms} ms: ${crowd.accepted.p99 < goals.crowdAcceptedP99Ms ? 'met' : 'not met'}), sold out ${ms(crowd.soldOut)}`,
    )
  }
  if (limits) {
    const share = (mode: Mode, limit: number) => {
      const perSecond = summary.runs[mode]?.perSecond
      return perSecond && limit > 0 ? `${(perSecond / limit).toFixed(2)} of it` : 'n/a'
    }
    console.log('limits of the stores, same box, same run (information):')
    console.log(
      `  Redis runs reserve.lua ${limits.redisReservePerSecond}/s (redis-benchmark); async accepted: ${share('async', limits.redisReservePerSecond)}`,
    )
    console.log(
      `  Postgres decrements one hot row ${limits.postgresHotRowPerSecond}/s (pgbench); sync accepted: ${share('sync', limits.postgresHotRowPerSecond)}`,
    )
    console.log(
      `  Postgres inserts orders in batches of 500 at ${limits.postgresBatchInsertRowsPerSecond}/s (pgbench, one connection); the drain's rate is above`,
    )
  }
}
