/** What a test reads back instead of printing or exporting: log lines, spans, metric points. */
import { createLogger, createTelemetry, type Logger } from '@flash-deal/kit'
import {
  type DataPoint,
  type Histogram,
  MetricReader,
  type MetricReaderOptions,
} from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace'

export interface RecordingLogger extends Logger {
  lines: Record<string, unknown>[]
}

export function recordingLogger(): RecordingLogger {
  const lines: Record<string, unknown>[] = []
  const logger = createLogger({ level: 'debug', sink: (line) => lines.push(JSON.parse(line)) })
  return Object.assign(logger, { lines })
}

/**
 * Tracing on, into memory: `spans()` flushes and returns every finished span so far. The HTTP
 * server span ends just after `app.handle` answers, hence the short wait.
 */
export function recordingTelemetry(serviceName = 'test') {
  const exporter = new InMemorySpanExporter()
  const telemetry = createTelemetry({ serviceName, logger: recordingLogger(), exporter, env: {} })
  return {
    telemetry,
    async spans(): Promise<ReadableSpan[]> {
      await Bun.sleep(5)
      await telemetry.flush()
      return exporter.getFinishedSpans()
    },
  }
}

/** Collects when asked, as a pull exporter (Prometheus) would. */
class CollectingReader extends MetricReader {
  constructor(options?: MetricReaderOptions) {
    super(options)
  }
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

/** One series of an instrument: its attributes and its value (a number, or a histogram). */
export interface MetricPoint {
  attributes: Record<string, unknown>
  value: number | Histogram
}

/**
 * Metrics on (tracing off), read from memory: `points(name)` collects now and returns the
 * series of that instrument (empty when it recorded nothing); `value(name, attributes)` the
 * number of the one series with exactly those attributes (0 when none).
 */
export function recordingMetrics(serviceName = 'test') {
  const reader = new CollectingReader()
  const telemetry = createTelemetry({
    serviceName,
    logger: recordingLogger(),
    metricReader: reader,
    env: {},
  })
  const points = async (name: string): Promise<MetricPoint[]> => {
    const { resourceMetrics } = await reader.collect()
    const metric = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((candidate) => candidate.descriptor.name === name)
    return ((metric?.dataPoints ?? []) as DataPoint<number | Histogram>[]).map((point) => ({
      attributes: { ...point.attributes },
      value: point.value,
    }))
  }
  return {
    telemetry,
    points,
    async value(name: string, attributes: Record<string, unknown> = {}): Promise<number> {
      const match = (await points(name)).find((point) =>
        Bun.deepEquals(point.attributes, attributes),
      )
      if (match === undefined) return 0
      return typeof match.value === 'number' ? match.value : match.value.count
    },
  }
}
