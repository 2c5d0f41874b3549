/** The shapes of the kit's telemetry (telemetry.ts builds them; spans.ts holds the span helpers). */
import type {
  Attributes,
  Context,
  Link,
  Meter,
  Span,
  SpanContext,
  SpanKind,
  Tracer,
} from '@opentelemetry/api'
import type { IMetricReader } from '@opentelemetry/sdk-metrics'
import type { SpanExporter } from '@opentelemetry/sdk-trace'
import type { Logger } from './logger'

export { ROOT_CONTEXT, SpanKind, SpanStatusCode } from '@opentelemetry/api'
export type { Attributes, Context as TraceContext, Link, Meter, Span }

export type Env = Record<string, string | undefined>

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
  /**
   * The parent; when absent, the active context (the request's server span inside a request,
   * see request-scope.ts; the root context, a new trace, outside one).
   */
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
   * spans on, which is also the active context while `work` runs. With tracing off the span is
   * a no-op and the context is the parent.
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
