/**
 * The answers the kit itself gives, documented on every operation that can get them, so a
 * route never repeats them and a client (or schemathesis) finds every status it can meet:
 *
 * - a request body: 400 (not JSON, not UTF-8), 413 (over the cap), 415 (not a JSON content
 *   type), 422 (the schema, U+0000, nesting);
 * - path, query or header parameters: 422; a path id: 404 (no such resource);
 * - every `/v1` operation: 503 with Retry-After (a store it needs is unreachable);
 * - every error, declared or added, as `application/problem+json`, which is what is sent.
 *
 * Elysia documents an integer as `anyOf [string with format integer, integer]` (its query
 * coercion); a JSON body only takes JSON integers, so the document says `integer`. And a body's
 * free-text strings say what the body reader enforces: no U+0000 (Postgres text cannot hold it).
 */
import type { OpenAPIDocument } from './openapi-transforms'

interface OpenAPIResponse {
  description?: string
  content?: Record<string, unknown>
  [field: string]: unknown
}

export const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
  },
  additionalProperties: true,
}

export const problemContent = { 'application/problem+json': { schema: PROBLEM_SCHEMA } }

const BODY_ERRORS: Record<string, string> = {
  '400': 'The body is not JSON (or not UTF-8)',
  '413': 'The body is larger than the service accepts',
  '415': 'The body is not sent as application/json',
  '422': 'The request does not match the schema (the `errors` name each field)',
}
const PARAMETER_ERROR = { '422': BODY_ERRORS['422'] as string }
const NOT_FOUND = { '404': 'No such resource' }
const UNAVAILABLE = { '503': 'A store this needs is unreachable; try again after Retry-After' }

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])

interface Operation {
  requestBody?: unknown
  parameters?: { in: string }[]
  responses?: Record<string, OpenAPIResponse>
  [field: string]: unknown
}

/** The statuses the kit can answer for this operation, with a description of each. */
function kitErrors(path: string, operation: Operation): Record<string, string> {
  const located = new Set((operation.parameters ?? []).map((parameter) => parameter.in))
  return {
    ...(path.startsWith('/v1/') ? UNAVAILABLE : {}),
    ...(located.has('path') ? NOT_FOUND : {}),
    ...(located.size > 0 ? PARAMETER_ERROR : {}),
    ...(operation.requestBody ? BODY_ERRORS : {}),
  }
}

/** A declared error answer, relabelled as the problem+json it is sent as. */
function asProblem(response: OpenAPIResponse): OpenAPIResponse {
  const content = response.content ?? {}
  const json = content['application/json'] ?? content['application/problem+json']
  if (!json) return { ...response, content: problemContent }
  const { 'application/json': _, ...others } = content
  return { ...response, content: { ...others, 'application/problem+json': json } }
}

function withErrors(path: string, operation: Operation): Operation {
  const responses: Record<string, OpenAPIResponse> = { ...operation.responses }
  // 204 No Content has no body to describe (the plugin gives `t.Void()` a JSON one).
  if (responses['204']) responses['204'] = { description: 'No content' }
  for (const [status, description] of Object.entries(kitErrors(path, operation)))
    responses[status] ??= { description }
  // Health reports are JSON documents in their own right, 503 included (see health.ts).
  if (!path.startsWith('/health/')) {
    for (const [status, response] of Object.entries(responses))
      if (Number(status) >= 400) responses[status] = asProblem(response)
  }
  const requestBody =
    operation.requestBody && optionalWhenEmptyIsValid(withoutNul(operation.requestBody))
  return { ...operation, ...(requestBody ? { requestBody } : {}), responses }
}

/**
 * The kit reads a request without a body as an absent body, which a schema with defaults and
 * nothing required fills (the purchase's quantity 1): such a body is optional, whatever the
 * plugin says.
 */
function optionalWhenEmptyIsValid(requestBody: unknown): unknown {
  const body = requestBody as { content?: Record<string, { schema?: BodySchema }> }
  const schema = body.content?.['application/json']?.schema
  const defaults = Object.values(schema?.properties ?? {}).some((field) => 'default' in field)
  const demands = (schema?.required?.length ?? 0) > 0 || (schema?.minProperties ?? 0) > 0
  return schema && defaults && !demands ? { ...body, required: false } : requestBody
}

interface BodySchema {
  required?: unknown[]
  minProperties?: number
  properties?: Record<string, object>
}

/** `^[^\u0000]*$` on every string schema of a body that has no stricter rule of its own. */
const NO_NUL = '^[^\\u0000]*$'

function withoutNul(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNul)
  if (typeof value !== 'object' || value === null) return value
  const object = Object.fromEntries(
    Object.entries(value).map(([key, field]) => [key, withoutNul(field)]),
  )
  const free = !('format' in object || 'pattern' in object || 'enum' in object || 'const' in object)
  return object.type === 'string' && free ? { ...object, pattern: NO_NUL } : object
}

/** The document with the kit's error answers on every operation and integers as integers. */
export function withKitErrors(document: OpenAPIDocument): OpenAPIDocument {
  const paths: Record<string, Record<string, Operation>> = {}
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    const fixed: Record<string, Operation> = {}
    for (const [method, operation] of Object.entries(operations as Record<string, Operation>))
      fixed[method] = HTTP_METHODS.has(method) ? withErrors(path, operation) : operation
    paths[path] = fixed
  }
  return asTheServiceReads({ ...document, paths }) as OpenAPIDocument
}

// formats.ts: an instant is in 1970–9999; the format alone would promise years 0000–9999.
const INSTANT_YEARS = '^(?:19[7-9][0-9]|[2-9][0-9]{3})-'

/** True for Elysia's `{ type: 'string', format: 'integer' }` half of a coercible integer. */
const isIntegerString = (schema: unknown) =>
  typeof schema === 'object' &&
  schema !== null &&
  (schema as { type?: unknown }).type === 'string' &&
  (schema as { format?: unknown }).format === 'integer'

/** Integers as integers, and instants with the years they may have (applied to every schema). */
function asTheServiceReads(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asTheServiceReads)
  if (typeof value !== 'object' || value === null) return value
  const object = value as Record<string, unknown>
  if (object.format === 'date-time' && !('pattern' in object))
    return { ...object, pattern: INSTANT_YEARS }
  const anyOf = object.anyOf
  if (Array.isArray(anyOf) && anyOf.length === 2 && anyOf.some(isIntegerString)) {
    const { anyOf: _, ...rest } = object
    const integer = anyOf.find((branch) => !isIntegerString(branch)) as Record<string, unknown>
    return asTheServiceReads({ ...rest, ...integer })
  }
  return Object.fromEntries(
    Object.entries(object).map(([key, field]) => [key, asTheServiceReads(field)]),
  )
}
