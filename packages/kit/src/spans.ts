/**
 * Spans: the helpers every Telemetry shares (W3C extract and inject, `withSpan`), tracing off,
 * and the small span makers services use (`recordError`, `withRedisSpan`).
 */
import {
  type Context,
  context as contextApi,
  INVALID_SPAN_CONTEXT,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { metricsOff } from './metrics'
import type { Telemetry, TelemetryStats } from './telemetry-types'

const propagator = new W3CTraceContextPropagator()
const mapGetter: TextMapGetter<Map<string, string>> = {
  keys: (carrier) => [...carrier.keys()],
  get: (carrier, key) => carrier.get(key),
}
const mapSetter: TextMapSetter<Map<string, string>> = {
  set: (carrier, key, value) => carrier.set(key, value),
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
      const parent = options.parent ?? contextApi.active()
      return work(trace.getSpan(parent) ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT), parent)
    },
    flush: async () => {},
    shutdown: async () => {},
  }
}

export function common(
  serviceName: string,
  tracer: Tracer,
  stats: TelemetryStats,
): Omit<Telemetry, 'enabled' | 'metricsEnabled' | 'meter' | 'flush' | 'shutdown'> {
  return {
    serviceName,
    tracer,
    async withSpan(name, options, work) {
      const parent = options.parent ?? contextApi.active()
      const span = tracer.startSpan(
        name,
        { kind: options.kind, attributes: options.attributes, links: options.links },
        parent,
      )
      const inner = trace.setSpan(parent, span)
      try {
        // Active while `work` runs: what it starts (a query, a Redis call) nests under this span.
        return await contextApi.with(inner, () => work(span, inner))
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

/**
 * One Redis command (or script) as a CLIENT span under the active context (the request's), with
 * the Redis semantic conventions; just the work when tracing is off or there is no request to
 * hang it under.
 */
export function withRedisSpan<T>(
  telemetry: Telemetry,
  operation: string,
  work: () => Promise<T>,
): Promise<T> {
  if (!telemetry.enabled) return work()
  const parent: Context = contextApi.active()
  if (parent === ROOT_CONTEXT) return work()
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
