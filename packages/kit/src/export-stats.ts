/** What becomes of exported spans, counted (TelemetryStats) and told to the sampler. */
import {
  type Attributes,
  createNoopMeter,
  type Meter,
  type MeterProvider,
} from '@opentelemetry/api'
import type { Logger } from './logger'
import type { TelemetryStats } from './telemetry-types'

export interface CollectorHealth {
  /** The last export failed; set back by the next one that succeeds. */
  failing: boolean
}

/**
 * The batch span processor reports what becomes of each span through the SDK's self-observability
 * counter `otel.sdk.processor.span.processed` (`error.type` = `queue_full` for drops). This meter
 * provider keeps just that counter, as numbers the process can log and test, and logs when
 * export starts and stops failing (once per change, not once per batch).
 */
export function countingMeterProvider(
  stats: TelemetryStats,
  logger: Logger,
  collector: CollectorHealth,
): MeterProvider {
  let failing = false
  const counter = {
    add(count: number, attributes?: Attributes) {
      const errorType = attributes?.['error.type']
      if (errorType === 'queue_full') {
        stats.dropped += count
      } else if (errorType) {
        stats.failed += count
        if (!failing)
          logger.warn('span export failing; spans are lost until it recovers', { ...stats })
        failing = true
        collector.failing = true
      } else {
        stats.exported += count
        if (failing) logger.info('span export recovered', { ...stats })
        failing = false
        collector.failing = false
      }
    },
  }
  const noop = createNoopMeter()
  const meter: Meter = Object.assign(Object.create(noop) as Meter, {
    createCounter: () => counter,
  })
  return { getMeter: () => meter }
}
