/**
 * Per-request state the kit's app keeps: the request id, the logger that carries it, the HTTP
 * server span and its context, and the once-only end of a request (span, histogram, access log).
 */
import type { Logger } from './logger'
import { endServerSpan, requestDurationHistogram, startServerSpan } from './server-span'
import { ROOT_CONTEXT, type Span, type Telemetry, type TraceContext } from './telemetry'

export const REQUEST_ID_HEADER = 'x-request-id'
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/

export interface RequestContext {
  id: string
  startedAt: number
  logger: Logger
  /** Set when the answer is a Response built outside Elysia's `set` (errors, proxied calls). */
  status?: number
  /** The HTTP server span (tracing on only). */
  span?: Span
  /** The span has ended and the access line is written. */
  finished?: boolean
  /** The request's trace context: the server span's, or the caller's when tracing is off. */
  trace: TraceContext
}

// Every app's requests, for `traceContextOf` (which needs no app at hand).
const traceContexts = new WeakMap<Request, TraceContext>()

/**
 * The trace context of `request`: its HTTP server span (tracing on), the caller's `traceparent`
 * (tracing off), the root context for a request the kit never saw. Inside a request the same
 * context is the active one (request-scope.ts): code below a handler has no need of this.
 */
export const traceContextOf = (request: Request): TraceContext =>
  traceContexts.get(request) ?? ROOT_CONTEXT

/**
 * Request contexts by request. They live outside Elysia's context so that errors thrown before
 * `derive` runs (body parsing, for one) still get the request id.
 */
export class RequestContexts {
  private readonly contexts = new WeakMap<Request, RequestContext>()
  private readonly requestDuration
  /** Access lines are written (info level on). */
  readonly accessLog: boolean

  constructor(
    private readonly logger: Logger,
    private readonly telemetry: Telemetry,
  ) {
    this.accessLog = logger.enabled('info')
    this.requestDuration = requestDurationHistogram(telemetry.meter)
  }

  /** The context of `request`, made on first sight. */
  of(request: Request): RequestContext {
    let context = this.contexts.get(request)
    if (!context) {
      context = this.start(request)
      this.contexts.set(request, context)
      traceContexts.set(request, context.trace)
    }
    return context
  }

  private start(request: Request): RequestContext {
    const { telemetry, logger } = this
    const incoming = request.headers.get(REQUEST_ID_HEADER)
    const id = incoming && VALID_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID()
    const startedAt = performance.now()
    const caller = telemetry.extract({
      traceparent: request.headers.get('traceparent'),
      tracestate: request.headers.get('tracestate'),
    })
    if (!telemetry.enabled)
      return { id, startedAt, trace: caller, logger: logger.child({ requestId: id }) }
    const span = startServerSpan(telemetry, request, caller)
    const trace = telemetry.setSpan(caller, span)
    const ids = telemetry.logFields(trace)
    return { id, startedAt, span, trace, logger: logger.child({ requestId: id, ...ids }) }
  }

  /** Ends the server span, records the duration and writes the access log, once per request. */
  finish(context: RequestContext, request: Request, route: string | undefined, status: number) {
    if (context.finished) return
    context.finished = true
    if (context.span) endServerSpan(context.span, request.method, route, status)
    this.requestDuration.record((performance.now() - context.startedAt) / 1000, {
      'http.request.method': request.method,
      // Unmatched paths carry no route: the raw path would make one series per scanner probe.
      ...(route ? { 'http.route': route } : {}),
      'http.response.status_code': status,
      ...(status >= 500 ? { 'error.type': String(status) } : {}),
    })
    if (!this.accessLog) return
    context.logger.info('request', {
      method: request.method,
      path: new URL(request.url).pathname,
      status,
      durationMs: Math.round((performance.now() - context.startedAt) * 100) / 100,
    })
  }
}
