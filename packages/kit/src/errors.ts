/**
 * Typed domain errors and their RFC 9457 problem+json rendering. Code throws these; one error
 * handler (http.ts) turns them into responses, so no route builds an error body by hand.
 */
export interface FieldError {
  field: string
  message: string
}

export interface ProblemDetails {
  type: string
  title: string
  status: number
  detail?: string
  instance?: string
  requestId?: string
  errors?: FieldError[]
  [extension: string]: unknown
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** Problem type URIs are stable identifiers clients can switch on. */
export const problemType = (slug: string) => `urn:flash-deal:problem:${slug}`

export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title)
    this.name = new.target.name
  }

  toProblem(instance?: string, requestId?: string): ProblemDetails {
    return {
      type: problemType(this.slug),
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(requestId ? { requestId } : {}),
      ...this.extensions,
    }
  }
}

export class BadRequestError extends DomainError {
  constructor(detail: string, errors?: FieldError[]) {
    super(400, 'bad-request', 'Bad request', detail, errors ? { errors } : {})
  }
}

export class ValidationError extends DomainError {
  constructor(detail: string, errors: FieldError[]) {
    super(422, 'validation', 'Request does not match the schema', detail, { errors })
  }
}

export class UnauthorizedError extends DomainError {
  constructor(detail = 'A valid bearer token is required') {
    super(401, 'unauthorized', 'Unauthorized', detail, {}, { 'www-authenticate': 'Bearer' })
  }
}

export class ForbiddenError extends DomainError {
  constructor(detail = 'You are not allowed to do this') {
    super(403, 'forbidden', 'Forbidden', detail)
  }
}

export class NotFoundError extends DomainError {
  constructor(detail = 'No such resource') {
    super(404, 'not-found', 'Not found', detail)
  }
}

/** A path the service serves, with a method it does not (RFC 9110 §15.5.6: 405 with Allow). */
export class MethodNotAllowedError extends DomainError {
  constructor(allowed: readonly string[]) {
    super(
      405,
      'method-not-allowed',
      'Method not allowed',
      `This path answers ${allowed.join(', ')}`,
      {},
      { allow: allowed.join(', ') },
    )
  }
}

export class ConflictError extends DomainError {
  constructor(slug: string, title: string, detail?: string) {
    super(409, slug, title, detail)
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(limitBytes: number) {
    super(413, 'payload-too-large', 'Payload too large', `The body exceeds ${limitBytes} bytes`, {
      limitBytes,
    })
  }
}

export class TooManyRequestsError extends DomainError {
  constructor(retryAfterSeconds: number, detail = 'Too many requests') {
    const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds))
    super(
      429,
      'rate-limited',
      'Too many requests',
      detail,
      { retryAfter },
      {
        'retry-after': String(retryAfter),
      },
    )
  }
}

export class BadGatewayError extends DomainError {
  constructor(upstream: string, detail = `The ${upstream} service is unreachable`) {
    super(502, 'bad-gateway', 'Bad gateway', detail, { upstream })
  }
}

export class GatewayTimeoutError extends DomainError {
  constructor(upstream: string, timeoutMs: number) {
    super(
      504,
      'gateway-timeout',
      'Gateway timeout',
      `The ${upstream} service did not answer in ${timeoutMs} ms`,
      {
        upstream,
      },
    )
  }
}

export class ServiceUnavailableError extends DomainError {
  constructor(detail: string, retryAfterSeconds?: number) {
    super(
      503,
      'unavailable',
      'Service unavailable',
      detail,
      {},
      retryAfterSeconds ? { 'retry-after': String(retryAfterSeconds) } : {},
    )
  }
}

export function problemResponse(problem: ProblemDetails, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
  })
}

// Client-side codes (the socket, or postgres.js giving up on a connection) and server-side
// SQLSTATEs (class 08 connection exception, shutting down, out of connections) that mean "a
// dependency cannot serve us right now", as opposed to a bug in a statement.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P02',
  '57P03',
  '53300',
])

/** True when `error` says a dependency (Postgres, a socket) is unreachable, not that code is wrong. */
export function isDependencyUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))
}
