import { Elysia, type ElysiaConfig, ValidationError as ElysiaValidationError, t } from 'elysia'
import { DEFAULT_MAX_BODY_DEPTH, readJsonBody } from './body'
import './formats'
import { withDeadline } from './deadline'
import {
  BadRequestError,
  DomainError,
  type FieldError,
  isDependencyUnavailable,
  NotFoundError,
  PayloadTooLargeError,
  type ProblemDetails,
  problemResponse,
  problemType,
  ServiceUnavailableError,
  ValidationError,
} from './errors'
import { type InternalTokenVerifier, internalAuth } from './internal-auth'
import type { Logger } from './logger'
import { type OpenAPIInfo, openapiDocs } from './openapi'
import {
  type Meter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Telemetry,
  type TraceContext,
  telemetryOff,
} from './telemetry'

/** The OpenAPI shape of every error answer (RFC 9457 problem details; extensions allowed). */
export const ProblemSchema = t.Object(
  { type: t.String(), title: t.String(), status: t.Integer() },
  { additionalProperties: true },
)

/** A readiness check resolves when its dependency answers and throws (or times out) otherwise. */
export type ReadinessCheck = () => Promise<unknown>

export interface ServiceAppOptions {
  /** Service name, e.g. `auth`; used in logs and the OpenAPI title. */
  name: string
  version: string
  description: string
  logger: Logger
  /** Dependencies `/health/ready` checks, by the name it reports. */
  readiness?: Record<string, ReadinessCheck>
  readinessTimeoutMs?: number
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number
  /** Deepest nesting of arrays and objects a JSON body may have (checked before parsing). */
  maxBodyDepth?: number
  /**
   * Tracing: a server span per request, continuing the caller's `traceparent`. Metrics: the
   * request duration histogram (rate, errors and latency per route). Both off if absent.
   */
  telemetry?: Telemetry
  /** The runtime adapter (Bun's by default; the gateway's Worker passes Cloudflare's). */
  adapter?: ElysiaConfig<''>['adapter']
  /**
   * Service-to-service authentication (internal-auth.ts): every `/v1` request needs the
   * gateway's X-Internal-Token for this service, checked before the body is read; documented.
   */
  internalAuth?: InternalTokenVerifier
  /** Rewrites the OpenAPI document served at /swagger/json (see `OpenAPIInfo`). */
  extendDocument?: OpenAPIInfo['extendDocument']
}

const REQUEST_ID_HEADER = 'x-request-id'

// Per-request trace contexts, readable by controllers built as separate Elysia instances (whose
// types do not see the kit's `derive`).
const traceContexts = new WeakMap<Request, TraceContext>()

/**
 * The trace context a handler parents its spans on: the request's HTTP server span (tracing on),
 * the caller's `traceparent` (tracing off), the root context for a request the kit never saw.
 */
export const traceContextOf = (request: Request): TraceContext =>
  traceContexts.get(request) ?? ROOT_CONTEXT

const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/

interface RequestContext {
  id: string
  startedAt: number
  logger: Logger
  /** Set when the answer is a Response built outside Elysia's `set` (errors, proxied calls). */
  status?: number
  /** The HTTP server span (tracing on only). */
  span?: Span
  /** The span has ended and the access line is written. */
  finished?: boolean
  /** The context handlers parent their spans on: the server span's, or the caller's when off. */
  trace: TraceContext
}

/**
 * Builds the Elysia instance every service starts from: request ids, access logs, problem+json
 * errors, health endpoints and OpenAPI with Swagger UI at /swagger. Services chain their
 * controllers onto it.
 */
export function createServiceApp(options: ServiceAppOptions) {
  const { logger } = options
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
  const bodyLimits = {
    maxBytes: maxBodyBytes,
    maxDepth: options.maxBodyDepth ?? DEFAULT_MAX_BODY_DEPTH,
  }
  const readiness = options.readiness ?? {}
  const timeoutMs = options.readinessTimeoutMs ?? 2000
  // Per-request state lives outside Elysia's context so that errors thrown before `derive`
  // runs (body parsing, for one) still get the request id.
  const contexts = new WeakMap<Request, RequestContext>()

  const accessLog = logger.enabled('info')
  const telemetry = options.telemetry ?? telemetryOff(options.name)
  const requestDuration = requestDurationHistogram(telemetry.meter)

  const requestContext = (request: Request): RequestContext => {
    let context = contexts.get(request)
    if (!context) {
      const incoming = request.headers.get(REQUEST_ID_HEADER)
      const id = incoming && VALID_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID()
      const startedAt = performance.now()
      const caller = telemetry.extract({
        traceparent: request.headers.get('traceparent'),
        tracestate: request.headers.get('tracestate'),
      })
      if (telemetry.enabled) {
        const span = startServerSpan(telemetry, request, caller)
        const trace = telemetry.setSpan(caller, span)
        const ids = telemetry.logFields(trace)
        context = { id, startedAt, span, trace, logger: logger.child({ requestId: id, ...ids }) }
      } else {
        context = { id, startedAt, trace: caller, logger: logger.child({ requestId: id }) }
      }
      contexts.set(request, context)
      traceContexts.set(request, context.trace)
    }
    return context
  }

  /** Ends the server span and writes the access log, once per request. */
  const finish = (
    context: RequestContext,
    request: Request,
    route: string | undefined,
    status: number,
  ) => {
    if (context.finished) return
    context.finished = true
    if (context.span) endServerSpan(context.span, request.method, route, status)
    requestDuration.record((performance.now() - context.startedAt) / 1000, {
      'http.request.method': request.method,
      // Unmatched paths carry no route: the raw path would make one series per scanner probe.
      ...(route ? { 'http.route': route } : {}),
      'http.response.status_code': status,
      ...(status >= 500 ? { 'error.type': String(status) } : {}),
    })
    if (!accessLog) return
    context.logger.info('request', {
      method: request.method,
      path: new URL(request.url).pathname,
      status,
      durationMs: Math.round((performance.now() - context.startedAt) * 100) / 100,
    })
  }

  // Only a route with a body schema reads the body: a route declared with `parse: 'none'` (the
  // gateway's proxy) streams it on, any other (logout...) ignores it. Looked up once per route.
  const readsBody = new Map<string, boolean>()
  const routeReadsBody = (method: string, route: string) => {
    const key = `${method} ${route}`
    let reads = readsBody.get(key)
    if (reads === undefined) {
      const hooks = app.routes.find(
        (candidate) =>
          candidate.path === route && (candidate.method === method || candidate.method === 'ALL'),
      )?.hooks as { body?: unknown; parse?: unknown } | undefined
      reads = hooks?.body !== undefined && !declaresNoParse(hooks.parse)
      readsBody.set(key, reads)
    }
    return reads
  }

  // normalize: false — a body with fields its schema does not declare is rejected with 422
  // instead of being silently trimmed (schemas say `additionalProperties: false`).
  const app = new Elysia({
    name: `${options.name}-service`,
    normalize: false,
    ...(options.adapter ? { adapter: options.adapter } : {}),
  })
  // `app.routes` grows as the service chains its controllers; the document reads it when asked.
  return (
    app
      .use(openapiDocs({ ...options, internalAuth: !!options.internalAuth }, () => app.routes))
      .onRequest(({ request, set }) => {
        const context = requestContext(request)
        set.headers[REQUEST_ID_HEADER] = context.id
        const length = Number(request.headers.get('content-length') ?? 0)
        if (length > maxBodyBytes)
          return toResponse(new PayloadTooLargeError(maxBodyBytes), request, context)
      })
      // After the hook above: the request id is set before a refusal is rendered.
      .use(
        options.internalAuth
          ? internalAuth(options.internalAuth)
          : new Elysia({ name: 'no-internal-auth' }),
      )
      // Every route that reads a body reads it here, under the size and depth limits, before
      // Elysia's parser or the schema validator sees it.
      // `null` (not `undefined`) tells Elysia the body is handled: an empty body too, so no
      // later parser reads the stream (a schema's defaults fill a null body as an absent one).
      .onParse({ as: 'global' }, async ({ request, route }) =>
        routeReadsBody(request.method, route)
          ? ((await readJsonBody(request, bodyLimits)) ?? null)
          : null,
      )
      // Never runs (the hook above always answers first). It is there for the document:
      // @elysiajs/openapi lists a request body's media types from a route's named parsers and
      // skips function hooks, so without it every body was documented as `content: {}`.
      .onParse({ as: 'global' }, JSON_PARSER_FOR_THE_DOCUMENT)
      .derive({ as: 'global' }, ({ request }) => {
        const context = requestContext(request)
        return { requestId: context.id, log: context.logger, traceContext: context.trace }
      })
      .onError({ as: 'global' }, ({ code, error, request, set, route }) => {
        const context = requestContext(request)
        set.headers[REQUEST_ID_HEADER] = context.id
        const mapped = toDomainError(code, error)
        // Elysia has already picked a status for what was thrown (500 for an unknown error); the
        // problem's status is the one that goes out.
        set.status = mapped.status
        if (mapped.status >= 500) context.logger.error('request failed', { error })
        const response = toResponse(mapped, request, context)
        // Elysia 1.4 skips onAfterResponse when a handler throws: finish the request here.
        finish(context, request, route, mapped.status)
        return response
      })
      .onAfterResponse({ as: 'global' }, ({ request, set, responseValue, route }) => {
        // The access log, the span and the histogram are the per-request cost every route pays.
        if (!accessLog && !telemetry.enabled && !telemetry.metricsEnabled) return
        const context = requestContext(request)
        const status =
          context.status ??
          (responseValue instanceof Response ? responseValue.status : undefined) ??
          (typeof set.status === 'number' ? set.status : 200)
        finish(context, request, route, status)
      })
      .get('/health/live', () => ({ status: 'ok' as const }), {
        detail: { tags: ['health'], summary: 'Liveness: the process is up' },
      })
      .get(
        '/health/ready',
        async ({ set }) => {
          const results = await Promise.all(
            Object.entries(readiness).map(async ([name, check]) => {
              try {
                await withDeadline(check(), timeoutMs, name)
                return [name, 'ok'] as const
              } catch (error) {
                return [
                  name,
                  `down: ${error instanceof Error ? error.message : String(error)}`,
                ] as const
              }
            }),
          )
          const checks = Object.fromEntries(results)
          const down = results.filter(([, state]) => state !== 'ok').map(([name]) => name)
          if (down.length > 0) {
            set.status = 503
            return { status: 'unavailable' as const, down, checks }
          }
          return { status: 'ok' as const, down, checks }
        },
        { detail: { tags: ['health'], summary: 'Readiness: every dependency answers' } },
      )
  )
}

// Elysia's `on` accepts a named parser as a hook container; its typings only take functions.
const JSON_PARSER_FOR_THE_DOCUMENT = { fn: 'json' } as unknown as () => undefined

function declaresNoParse(parse: unknown): boolean {
  return (
    Array.isArray(parse) &&
    parse.some((hook) => hook === 'none' || (hook as { fn?: unknown } | null)?.fn === 'none')
  )
}

/** `http.server.request.duration` (semantic conventions), in seconds. */
function requestDurationHistogram(meter: Meter) {
  return meter.createHistogram('http.server.request.duration', {
    description: 'Duration of HTTP server requests',
    unit: 's',
    // The buckets the semantic conventions recommend for this histogram.
    advice: {
      explicitBucketBoundaries: [
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
      ],
    },
  })
}

/**
 * The HTTP server span (semantic conventions); named `METHOD route` once the route is known. Its
 * attributes are built only when it records: a span the sampler drops (e.g. while the collector
 * is unreachable) costs no URL parsing.
 */
function startServerSpan(telemetry: Telemetry, request: Request, caller: TraceContext): Span {
  const span = telemetry.tracer.startSpan(request.method, { kind: SpanKind.SERVER }, caller)
  if (!span.isRecording()) return span
  const url = new URL(request.url)
  span.setAttributes({
    'http.request.method': request.method,
    'url.path': url.pathname,
    'url.scheme': url.protocol.replace(':', ''),
    'server.address': url.hostname,
    'server.port': Number(url.port) || undefined,
    'user_agent.original': request.headers.get('user-agent') ?? undefined,
  })
  return span
}

function endServerSpan(span: Span, method: string, route: string | undefined, status: number) {
  // `route` is the matched template (`/v1/deals/:id/purchase`); none when nothing matched.
  if (route) {
    span.updateName(`${method} ${route}`)
    span.setAttribute('http.route', route)
  }
  span.setAttribute('http.response.status_code', status)
  // Server spans fail on 5xx only: a 4xx is the caller's mistake, not this service's.
  if (status >= 500) {
    span.setAttribute('error.type', String(status))
    span.setStatus({ code: SpanStatusCode.ERROR })
  }
  span.end()
}

function toResponse(error: DomainError, request: Request, context: RequestContext) {
  context.status = error.status
  const problem: ProblemDetails = error.toProblem(new URL(request.url).pathname, context.id)
  // The request id header comes from `set.headers`, which Elysia merges into this response.
  return problemResponse(problem, error.headers)
}

/** Maps whatever was thrown to a DomainError; unknown errors become an opaque 500. */
export function toDomainError(code: unknown, error: unknown): DomainError {
  if (error instanceof DomainError) return error
  if (error instanceof ElysiaValidationError || code === 'VALIDATION') {
    return validationProblem(error as ElysiaValidationError)
  }
  // What the kit's body reader threw reaches here wrapped in Elysia's ParseError.
  if (code === 'PARSE' && error instanceof Error && error.cause instanceof DomainError)
    return error.cause
  if (code === 'PARSE')
    return new BadRequestError('The body is not valid JSON for its content type')
  if (code === 'NOT_FOUND') return new NotFoundError('No route matches this method and path')
  // A database that is down is our outage, not a bug: 503 with Retry-After, in every service.
  if (isDependencyUnavailable(error)) {
    return new ServiceUnavailableError('A service this needs is unreachable; try again shortly', 1)
  }
  return new DomainError(
    500,
    'internal',
    'Internal server error',
    'Something went wrong on our side',
  )
}

function validationProblem(error: ElysiaValidationError): DomainError {
  const errors: FieldError[] = []
  for (const issue of error.all ?? []) {
    if (!('path' in issue)) continue
    const field = `${error.type}${issue.path.replaceAll('/', '.')}`
    if (errors.some((existing) => existing.field === field)) continue
    errors.push({ field, message: issue.summary ?? 'is invalid' })
  }
  const first = errors[0]
  const detail = first ? `${first.field}: ${first.message}` : `Invalid ${error.type}`
  return new ValidationError(detail, errors)
}

export { problemType }
