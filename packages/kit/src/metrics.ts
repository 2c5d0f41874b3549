/**
 * Metrics for every process, configured like tracing by the standard `OTEL_*` variables. No
 * endpoint, no metrics: the meter is the API's no-op, whose instruments record nothing.
 *
 * Instruments only aggregate in memory on a request's path (a histogram bucket, a sum); a timer
 * collects them every `OTEL_METRIC_EXPORT_INTERVAL` and exports over OTLP/HTTP in the background.
 * A collector that is down costs one failed export per interval, never a request.
 */
import { createNoopMeter, type Meter } from '@opentelemetry/api'
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
import type { Resource } from '@opentelemetry/resources'
import {
  type IMetricReader,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'

type Env = Record<string, string | undefined>

export interface Metrics {
  readonly enabled: boolean
  readonly meter: Meter
  flush(): Promise<void>
  shutdown(): Promise<void>
}

export const metricsOff: Metrics = {
  enabled: false,
  meter: createNoopMeter(),
  flush: async () => {},
  shutdown: async () => {},
}

/** Whether the `OTEL_*` variables ask for metrics (an endpoint, and not switched off). */
export function metricsWanted(env: Env): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT
  const disabled =
    env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' ||
    env.OTEL_METRICS_EXPORTER?.trim().toLowerCase() === 'none'
  return !disabled && Boolean(endpoint)
}

/**
 * The meter provider the environment configures. `reader` (tests) replaces the periodic OTLP
 * export; pass it only when metrics are wanted.
 */
export function createMetrics(env: Env, resource: Resource, reader?: IMetricReader): Metrics {
  const provider = new MeterProvider({ resource, readers: [reader ?? otlpReader(env)] })
  return {
    enabled: true,
    meter: provider.getMeter('@flash-deal/kit'),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  }
}

function otlpReader(env: Env): IMetricReader {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '')
  // Headers, compression and temporality the exporter reads from its own OTEL_EXPORTER_OTLP_* variables.
  const exporter = new OTLPMetricExporter({
    url: env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT || `${endpoint}/v1/metrics`,
    timeoutMillis: positiveInt(
      env.OTEL_EXPORTER_OTLP_METRICS_TIMEOUT ?? env.OTEL_EXPORTER_OTLP_TIMEOUT,
      10_000,
    ),
  })
  const interval = positiveInt(env.OTEL_METRIC_EXPORT_INTERVAL, 60_000)
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: interval,
    // The SDK refuses a timeout longer than the interval.
    exportTimeoutMillis: Math.min(positiveInt(env.OTEL_METRIC_EXPORT_TIMEOUT, 30_000), interval),
  })
}

/** An `OTEL_*` integer setting: `fallback` unless a positive integer is given. */
export const positiveInt = (raw: string | undefined, fallback: number) => {
  const value = Number(raw)
  return Number.isInteger(value) && value > 0 ? value : fallback
}
