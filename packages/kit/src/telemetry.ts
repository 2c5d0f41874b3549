/**
 * Tracing and metrics for every process, configured only by the standard `OTEL_*` variables. No
 * endpoint, no tracing: the tracer is the API's no-op and nothing is queued or sent. Metrics are
 * switched the same way, on their own (`./metrics`): the meter is then the API's no-op.
 *
 * Contexts are passed explicitly (the HTTP span's context reaches a handler through the kit's
 * `derive`) instead of through a global context manager: nothing here depends on
 * `AsyncLocalStorage`, so the same code runs on Bun and at the edge, and no global is registered.
 *
 * Export never sits on a request's path: finished spans go to a bounded queue that a timer
 * drains in batches over OTLP/HTTP. When the collector is slow or down the queue fills and
 * further spans are dropped and counted; requests do not wait and do not fail.
 */
import {
  type Attributes,
  type Context,
  createNoopMeter,
  INVALID_SPAN_CONTEXT,
  type Link,
  type Meter,
  type MeterProvider,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import type { IMetricReader } from '@opentelemetry/sdk-metrics'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace'
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'
import { withDeadline } from './deadline'
import type { Logger } from './logger'
import { createMetrics, type Metrics, metricsOff, metricsWanted, positiveInt } from './metrics'

export type { Attributes, Context as TraceContext, Link, Meter, Span }
export { ROOT_CONTEXT, SpanKind, SpanStatusCode }

type Env = Record<string, string | undefined>

export interface TelemetryOptions {
  /** This process's name when `OTEL_SERVICE_NAME` does not say otherwise, e.g. `gateway`. */
  serviceName: string
  serviceVersion?: string
  logger: Logger
  env?: Env
  /** Tests: export here instead of OTLP/HTTP (tracing is then on whatever the env says). */
  exporter?: SpanExporter
  /** Tests: metrics are on and read here instead of exported over OTLP/HTTP. */
  metricReader?: IMetricReader
}

export interface TelemetryStats {
  /** Spans the collector accepted. */
  exported: number
  /** Spans whose export failed (collector down, refused, timed out). */
  failed: number
  /** Spans dropped because the queue was full (the collector could not keep up). */
  dropped: number
}

export interface SpanOptions {
  kind?: SpanKind
  attributes?: Attributes
  links?: Link[]
  /** The parent; the root context (a new trace) when absent. */
  parent?: Context
}

export interface Telemetry {
  readonly enabled: boolean
  readonly serviceName: string
  readonly tracer: Tracer
  /** Metrics are on (an endpoint is set): instruments record and a timer exports them. */
  readonly metricsEnabled: boolean
  /**
   * Where instruments come from. Create them once, beside what they measure; with metrics off
   * they are no-ops that cost a function call.
   */
  readonly meter: Meter
  /**
   * Runs `work` inside a new span: the span ends when `work` settles, and records the error and
   * an error status when it throws. `work` gets the span and the context to parent further
   * spans on. With tracing off the span is a no-op and the context is the parent.
   */
  withSpan<T>(
    name: string,
    options: SpanOptions,
    work: (span: Span, context: Context) => Promise<T>,
  ): Promise<T>
  /** The trace context a W3C `traceparent` (and `tracestate`) carries; the root context if none. */
  extract(carrier: { traceparent?: string | null; tracestate?: string | null }): Context
  /** `context` with `span` as its current span (the parent of spans started on it). */
  setSpan(context: Context, span: Span): Context
  /** The W3C `traceparent` of the span in `context`, if it holds a valid one. */
  traceparentOf(context: Context): string | undefined
  /** The valid span context in `context` (to link to), if any. */
  spanContextOf(context: Context): SpanContext | undefined
  /** `trace_id` and `span_id` of the span in `context`, for log lines; empty when none. */
  logFields(context: Context): { trace_id?: string; span_id?: string }
  stats(): TelemetryStats
  /** Exports what is queued and the metrics now (tests; a process exits through `shutdown`). */
  flush(): Promise<void>
  /** Exports what is queued (bounded in time) and stops: a shutdown step. */
  shutdown(): Promise<void>
}

const propagator = new W3CTraceContextPropagator()
const mapGetter: TextMapGetter<Map<string, string>> = {
  keys: (carrier) => [...carrier.keys()],
  get: (carrier, key) => carrier.get(key),
}
const mapSetter: TextMapSetter<Map<string, string>> = {
  set: (carrier, key, value) => carrier.set(key, value),
}

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

/** Tracing off: no spans, nothing queued; contexts still travel (W3C extract and inject). */
export function telemetryOff(
  serviceName: string,
  stats: TelemetryStats = { exported: 0, failed: 0, dropped: 0 },
): Telemetry {
  const tracer = new ProxyTracerProvider().getTracer('@flash-deal/kit')
  const base = common(serviceName, tracer, stats)
  return {
    ...base,
    enabled: false,
    metricsEnabled: false,
    meter: metricsOff.meter,
    // No span at all: the work runs with its parent's context.
    withSpan: (_name, options, work) => {
      const parent = options.parent ?? ROOT_CONTEXT
      return work(trace.getSpan(parent) ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT), parent)
    },
    flush: async () => {},
    shutdown: async () => {},
  }
}

function common(
  serviceName: string,
  tracer: Tracer,
  stats: TelemetryStats,
): Omit<Telemetry, 'enabled' | 'metricsEnabled' | 'meter' | 'flush' | 'shutdown'> {
  return {
    serviceName,
    tracer,
    async withSpan(name, options, work) {
      const parent = options.parent ?? ROOT_CONTEXT
      const span = tracer.startSpan(
        name,
        { kind: options.kind, attributes: options.attributes, links: options.links },
        parent,
      )
      try {
        return await work(span, trace.setSpan(parent, span))
      } catch (error) {
        recordError(span, error)
        throw error
      } finally {
        span.end()
      }
    },
    setSpan: (context, span) => trace.setSpan(context, span),
    extract(carrier) {
      if (!carrier.traceparent) return ROOT_CONTEXT
      const map = new Map([['traceparent', carrier.traceparent]])
      if (carrier.tracestate) map.set('tracestate', carrier.tracestate)
      return propagator.extract(ROOT_CONTEXT, map, mapGetter)
    },
    traceparentOf(context) {
      const map = new Map<string, string>()
      propagator.inject(context, map, mapSetter)
      return map.get('traceparent')
    },
    spanContextOf(context) {
      const span = trace.getSpanContext(context)
      return span && trace.isSpanContextValid(span) ? span : undefined
    },
    logFields(context) {
      const span = trace.getSpanContext(context)
      if (!span || !trace.isSpanContextValid(span)) return {}
      return { trace_id: span.traceId, span_id: span.spanId }
    },
    stats: () => ({ ...stats }),
  }
}

/** Marks a span failed with what was thrown (semantic conventions: `exception` event, `error.type`). */
export function recordError(span: Span, error: unknown) {
  if (error instanceof Error) {
    span.recordException(error)
    span.setAttribute('error.type', error.name)
  }
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  })
}

/** `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` as the specification defines them. */
function samplerFrom(env: Env, logger: Logger): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || 'parentbased_always_on'
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? 1)
  const ratioSampler = () =>
    new TraceIdRatioBasedSampler(Number.isFinite(ratio) && ratio >= 0 && ratio <= 1 ? ratio : 1)
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler()
    case 'always_off':
      return new AlwaysOffSampler()
    case 'traceidratio':
      return ratioSampler()
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratioSampler() })
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
    default:
      logger.warn('unknown OTEL_TRACES_SAMPLER; using parentbased_always_on', { sampler: name })
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
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

/**
 * The batch span processor reports what becomes of each span through the SDK's self-observability
 * counter `otel.sdk.processor.span.processed` (`error.type` = `queue_full` for drops). This meter
 * provider keeps just that counter, as numbers the process can log and test, and logs when
 * export starts and stops failing (once per change, not once per batch).
 */
function countingMeterProvider(
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

interface CollectorHealth {
  /** The last export failed; set back by the next one that succeeds. */
  failing: boolean
}

/**
 * While exports fail, recording spans only to drop them still costs every request (ids,
 * attributes, the queue). So this sampler stops recording then — the context still travels,
 * marked not sampled, so downstream services skip the trace too — except for one probe trace a
 * second, whose export tells when the collector is back; then sampling resumes as configured.
 */
function whileCollectorAnswers(inner: Sampler, collector: CollectorHealth): Sampler {
  let lastProbe = 0
  return {
    shouldSample(...args) {
      if (collector.failing) {
        const now = Date.now()
        if (now - lastProbe < 1000) return { decision: SamplingDecision.NOT_RECORD }
        lastProbe = now
      }
      return inner.shouldSample(...args)
    },
    toString: () => `WhileCollectorAnswers{${inner.toString()}}`,
  }
}

/**
 * One Redis command (or script) as a CLIENT span under `parent`, with the Redis semantic
 * conventions; just the work when tracing is off or there is no request to hang it under.
 */
export function withRedisSpan<T>(
  telemetry: Telemetry,
  operation: string,
  parent: Context | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (!telemetry.enabled || !parent) return work()
  return telemetry.withSpan(
    operation,
    {
      parent,
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system': 'redis',
        'db.system.name': 'redis',
        'db.operation.name': operation,
      },
    },
    () => work(),
  )
}
