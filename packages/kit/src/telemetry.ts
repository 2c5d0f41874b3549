/**
 * Tracing and metrics for every process, configured only by the standard `OTEL_*` variables. No
 * endpoint, no tracing: the tracer is the API's no-op and nothing is queued or sent. Metrics are
 * switched the same way, on their own (`./metrics`): the meter is then the API's no-op.
 *
 * With tracing on, the trace context travels in OpenTelemetry's active context (an
 * AsyncLocalStorage context manager, request-scope.ts): the kit's app enters each request's
 * server span once, and `withSpan`, `withRedisSpan` and the traced queries parent on whatever is
 * active. Nothing passes a trace context by hand inside a request.
 *
 * Export never sits on a request's path: finished spans go to a bounded queue that a timer
 * drains in batches over OTLP/HTTP. When the collector is slow or down the queue fills and
 * further spans are dropped and counted; requests do not wait and do not fail.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'
import { withDeadline } from './deadline'
import { type CollectorHealth, countingMeterProvider } from './export-stats'
import type { Logger } from './logger'
import { createMetrics, type Metrics, metricsOff, metricsWanted, positiveInt } from './metrics'
import { enableRequestScope } from './request-scope'
import { samplerFrom, whileCollectorAnswers } from './sampling'
import { common, telemetryOff } from './spans'
import type { Attributes, Telemetry, TelemetryOptions, TelemetryStats } from './telemetry-types'

export { recordError, telemetryOff, withRedisSpan } from './spans'
export * from './telemetry-types'

/** Tracing and metrics as the `OTEL_*` variables configure them; no-ops without an endpoint. */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  const env = options.env ?? process.env
  const { logger } = options
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || options.serviceName
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT
  const disabled =
    env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' ||
    env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none'
  const stats: TelemetryStats = { exported: 0, failed: 0, dropped: 0 }
  const on = !disabled && (Boolean(endpoint) || options.exporter !== undefined)
  const metricsOn =
    env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true' &&
    (metricsWanted(env) || options.metricReader !== undefined)
  if (!on && !metricsOn) return telemetryOff(serviceName, stats)

  const resource = resourceFromAttributes({
    ...resourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES),
    [ATTR_SERVICE_NAME]: serviceName,
    ...(options.serviceVersion ? { [ATTR_SERVICE_VERSION]: options.serviceVersion } : {}),
  })
  const metrics = metricsOn ? createMetrics(env, resource, options.metricReader) : metricsOff
  if (metricsOn) logger.info('metrics on', { serviceName })
  if (!on) return withMetrics(telemetryOff(serviceName, stats), metrics, logger)

  // Endpoint and timeout from `env` (the exporter itself would read process.env); headers and
  // compression the exporter reads from OTEL_EXPORTER_OTLP_{,TRACES_}{HEADERS,COMPRESSION}.
  const exporter =
    options.exporter ??
    new OTLPTraceExporter({
      url: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || `${trimSlash(endpoint ?? '')}/v1/traces`,
      timeoutMillis: positiveInt(
        env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? env.OTEL_EXPORTER_OTLP_TIMEOUT,
        10_000,
      ),
    })
  const collector: CollectorHealth = { failing: false }
  const processor = new BatchSpanProcessor({
    exporter,
    maxQueueSize: positiveInt(env.OTEL_BSP_MAX_QUEUE_SIZE, 2048),
    maxExportBatchSize: positiveInt(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512),
    scheduledDelayMillis: positiveInt(env.OTEL_BSP_SCHEDULE_DELAY, 5000),
    exportTimeoutMillis: positiveInt(env.OTEL_BSP_EXPORT_TIMEOUT, 30_000),
    selfObsMeterProvider: countingMeterProvider(stats, logger, collector),
  })
  const provider = new TracerProvider({
    resource,
    sampler: whileCollectorAnswers(samplerFrom(env, logger), collector),
    spanProcessors: [processor],
  })
  const tracer = provider.getTracer('@flash-deal/kit')
  enableRequestScope()
  logger.info('tracing on', { serviceName, endpoint: endpoint ?? 'custom exporter' })

  const tracing: Telemetry = {
    ...common(serviceName, tracer, stats),
    enabled: true,
    metricsEnabled: false,
    meter: metricsOff.meter,
    flush: () => provider.forceFlush(),
    async shutdown() {
      // A collector that is down must not hold the process: give the last export 3 s.
      await withDeadline(provider.shutdown(), 3000, 'the last span export').catch((error) =>
        logger.warn('last spans not exported at shutdown', { error, ...stats }),
      )
    },
  }
  return withMetrics(tracing, metrics, logger)
}

/** `telemetry` with `metrics`' meter, flushed and shut down alongside its tracing. */
function withMetrics(telemetry: Telemetry, metrics: Metrics, logger: Logger): Telemetry {
  if (!metrics.enabled) return telemetry
  return {
    ...telemetry,
    metricsEnabled: true,
    meter: metrics.meter,
    flush: async () => {
      await Promise.all([telemetry.flush(), metrics.flush()])
    },
    async shutdown() {
      await Promise.all([
        telemetry.shutdown(),
        // Same bound as spans: the last metrics are not worth holding the exit.
        withDeadline(metrics.shutdown(), 3000, 'the last metrics export').catch((error) =>
          logger.warn('last metrics not exported at shutdown', { error }),
        ),
      ])
    },
  }
}

/** `OTEL_RESOURCE_ATTRIBUTES`: `key=value` pairs, comma separated, values percent-encoded. */
function resourceAttributes(raw: string | undefined): Attributes {
  const attributes: Attributes = {}
  for (const pair of raw?.split(',') ?? []) {
    const at = pair.indexOf('=')
    if (at <= 0) continue
    try {
      attributes[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim())
    } catch {
      // A malformed value is skipped, as the specification asks; the others still apply.
    }
  }
  return attributes
}

const trimSlash = (url: string) => url.replace(/\/+$/, '')
