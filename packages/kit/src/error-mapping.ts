/** One place maps what was thrown to an RFC 9457 problem answer. */
import { ValidationError as ElysiaValidationError, t } from 'elysia'
import { allowedMethods } from './allowed-methods'
import {
  BadRequestError,
  DomainError,
  type FieldError,
  isDependencyUnavailable,
  MethodNotAllowedError,
  NotFoundError,
  type ProblemDetails,
  problemResponse,
  ServiceUnavailableError,
  ValidationError,
} from './errors'
import { REQUEST_ID_HEADER, type RequestContexts } from './request-context'

/** The OpenAPI shape of every error answer (RFC 9457 problem details; extensions allowed). */
export const ProblemSchema = t.Object(
  { type: t.String(), title: t.String(), status: t.Integer() },
  { additionalProperties: true },
)

/** The problem+json answer for `error`, at the request's path, carrying its request id. */
export function problemAnswer(error: DomainError, request: Request, requestId: string) {
  const problem: ProblemDetails = error.toProblem(new URL(request.url).pathname, requestId)
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

/** The one error mapper: whatever a request threw becomes its problem+json answer. */
export function errorAnswer(contexts: RequestContexts, routes: () => readonly RouteOfApp[]) {
  return ({ code, error, request, set, route }: ErrorHookContext) => {
    const context = contexts.of(request)
    set.headers[REQUEST_ID_HEADER] = context.id
    const mapped = refusedMethod(code, request, routes()) ?? toDomainError(code, error)
    // Elysia has already picked a status for what was thrown (500 for an unknown error); the
    // problem's status is the one that goes out.
    set.status = mapped.status
    context.status = mapped.status
    if (mapped.status >= 500) context.logger.error('request failed', { error })
    // Elysia 1.4 skips onAfterResponse when a handler throws: finish the request here.
    contexts.finish(context, request, route, mapped.status)
    return problemAnswer(mapped, request, context.id)
  }
}

interface RouteOfApp {
  method: string
  path: string
}

/** No route for this method, but the path has others: 405 with Allow rather than 404. */
function refusedMethod(code: unknown, request: Request, routes: readonly RouteOfApp[]) {
  if (code !== 'NOT_FOUND') return undefined
  const allowed = allowedMethods(routes, new URL(request.url).pathname)
  return allowed.length > 0 ? new MethodNotAllowedError(allowed) : undefined
}

interface ErrorHookContext {
  code: unknown
  error: unknown
  request: Request
  set: { headers: Record<string, string | number>; status?: number | string }
  route: string
}
