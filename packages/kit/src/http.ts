import { Elysia, type ElysiaConfig } from 'elysia'
import { DEFAULT_MAX_BODY_DEPTH, readJsonBody } from './body'
import { bodyReadingRoutes, JSON_PARSER_FOR_THE_DOCUMENT } from './body-hooks'
import { errorAnswer, problemAnswer } from './error-mapping'
import { PayloadTooLargeError, ValidationError } from './errors'
import './formats'
import { healthRoutes, type ReadinessCheck } from './health'
import { type InternalTokenVerifier, internalAuth } from './internal-auth'
import type { Logger } from './logger'
import { type OpenAPIInfo, openapiDocs } from './openapi'
import {
  RequestContexts as Contexts,
  REQUEST_ID_HEADER,
  type RequestContexts,
} from './request-context'
import { enableRequestScope, withTrace } from './request-scope'
import { type Telemetry, telemetryOff } from './telemetry'

export { ProblemSchema, toDomainError } from './error-mapping'
export { problemType } from './errors'
export type { ReadinessCheck } from './health'
export { traceContextOf } from './request-context'

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

/**
 * Builds the Elysia instance every service starts from: request ids, access logs, problem+json
 * errors, health endpoints, OpenAPI with Swagger UI at /swagger, and (tracing on) the request
 * scope: each request is handled with its server span as the active context. Services chain
 * their controllers onto it.
 */
export function createServiceApp(options: ServiceAppOptions) {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
  const bodyLimits = {
    maxBytes: maxBodyBytes,
    maxDepth: options.maxBodyDepth ?? DEFAULT_MAX_BODY_DEPTH,
  }
  const telemetry = options.telemetry ?? telemetryOff(options.name)
  const contexts = new Contexts(options.logger, telemetry)
  // normalize: false — a body with fields its schema does not declare is rejected with 422
  // instead of being silently trimmed (schemas say `additionalProperties: false`).
  const app = new Elysia({
    name: `${options.name}-service`,
    normalize: false,
    ...(options.adapter ? { adapter: options.adapter } : {}),
  })
  if (telemetry.enabled) app.wrap(requestScope(contexts))
  const readsBody = bodyReadingRoutes(app)
  // `app.routes` grows as the service chains its controllers; the document reads it when asked.
  return (
    app
      .use(openapiDocs({ ...options, internalAuth: !!options.internalAuth }, () => app.routes))
      .onRequest(({ request, set }) => {
        const context = contexts.of(request)
        set.headers[REQUEST_ID_HEADER] = context.id
        const length = Number(request.headers.get('content-length') ?? 0)
        if (length > maxBodyBytes) {
          context.status = 413
          return problemAnswer(new PayloadTooLargeError(maxBodyBytes), request, context.id)
        }
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
        readsBody(request.method, route)
          ? bodyOrNull(await readJsonBody(request, bodyLimits))
          : null,
      )
      // Never runs (the hook above always answers first). It is there for the document:
      // @elysiajs/openapi lists a request body's media types from a route's named parsers and
      // skips function hooks, so without it every body was documented as `content: {}`.
      .onParse({ as: 'global' }, JSON_PARSER_FOR_THE_DOCUMENT)
      .derive({ as: 'global' }, ({ request }) => {
        const context = contexts.of(request)
        return { requestId: context.id, log: context.logger, traceContext: context.trace }
      })
      .onError(
        { as: 'global' },
        errorAnswer(contexts, () => app.routes),
      )
      .onAfterResponse({ as: 'global' }, ({ request, set, responseValue, route }) => {
        // The access log, the span and the histogram are the per-request cost every route pays.
        if (!contexts.accessLog && !telemetry.enabled && !telemetry.metricsEnabled) return
        const context = contexts.of(request)
        const status =
          context.status ??
          (responseValue instanceof Response ? responseValue.status : undefined) ??
          (typeof set.status === 'number' ? set.status : 200)
        contexts.finish(context, request, route, status)
      })
      .use(healthRoutes(options.readiness ?? {}, options.readinessTimeoutMs ?? 2000))
  )
}

/**
 * The parsed body for Elysia, `null` when there was none. Elysia reads a falsy body (`null`, `0`,
 * `false`, `""`) as no body, so a purchase of `0` bought the default quantity: every body here
 * is an object, so a JSON value that is not one is refused here, before Elysia sees it.
 */
function bodyOrNull(body: unknown) {
  if (body === undefined) return null
  if (body === null || typeof body !== 'object')
    throw new ValidationError('body: Expected object', [
      { field: 'body', message: 'Expected object' },
    ])
  return body
}

/**
 * Elysia's `wrap`: the whole handling of a request (hooks, handler, error mapping) runs with the
 * request's server span as the active context — entered once, left when the handling returns.
 */
function requestScope(contexts: RequestContexts) {
  enableRequestScope()
  return ((handle: (...args: unknown[]) => unknown, request: Request) =>
    (...args: unknown[]) =>
      withTrace(contexts.of(request).trace, () => handle(...args))) as unknown as Parameters<
    Elysia['wrap']
  >[0]
}
