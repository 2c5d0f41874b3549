/** What the kit adds to the document Elysia generates: declared parameters, the internal token. */
import { problemContent } from './openapi-errors'

export interface OpenAPIParameter {
  in: string
  name: string
  [field: string]: unknown
}

interface OpenAPIOperation {
  parameters?: OpenAPIParameter[]
  [field: string]: unknown
}

export interface OpenAPIDocument {
  paths?: Record<string, Record<string, OpenAPIOperation>>
  [field: string]: unknown
}

/** What `withDeclaredParameters` reads of a route (an entry of Elysia's `app.routes`). */
export interface DocumentedRoute {
  method: string
  path: string
  hooks?: { detail?: { parameters?: unknown } }
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

/**
 * @elysiajs/openapi 1.4.16 sets an operation's `parameters` to the ones it derives from the
 * route's schemas (path, query, headers, cookie), so whatever the route declared in
 * `detail.parameters` is dropped as soon as it has one of those: the purchase's required
 * `Idempotency-Key` header vanished because the route has a path id. This puts the declared
 * parameters back. One with the same `in` and `name` as a derived one refines it (its fields
 * win); the others are added after the derived ones. Returns a new document; the plugin's
 * cached one is left as it is.
 */
export function withDeclaredParameters(
  document: OpenAPIDocument,
  routes: readonly DocumentedRoute[],
): OpenAPIDocument {
  const paths = { ...document.paths }
  for (const route of routes) {
    const declared = route.hooks?.detail?.parameters
    if (!Array.isArray(declared) || declared.length === 0) continue
    // The plugin's own spelling of a path (`/v1/deals/:id` → `/v1/deals/{id}`); a route the
    // document leaves out (hidden, excluded) has nothing to fix.
    const path = route.path.replace(/:([^/?]+)\??/g, '{$1}')
    const operations = paths[path]
    if (!operations) continue
    const method = route.method.toLowerCase()
    const fixed = { ...operations }
    for (const name of method === 'all' ? HTTP_METHODS : [method]) {
      const operation = fixed[name]
      if (!operation) continue
      fixed[name] = {
        ...operation,
        parameters: mergeParameters(operation.parameters ?? [], declared),
      }
    }
    paths[path] = fixed
  }
  return { ...document, paths }
}

function mergeParameters(derived: readonly OpenAPIParameter[], declared: readonly unknown[]) {
  // Header names are case-insensitive (Elysia lowercases those of a `headers` schema).
  const key = (parameter: OpenAPIParameter) =>
    `${parameter.in}:${parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name}`
  const merged = new Map(derived.map((parameter) => [key(parameter), parameter]))
  for (const parameter of declared) {
    if (!isParameter(parameter)) continue
    merged.set(key(parameter), { ...merged.get(key(parameter)), ...parameter })
  }
  return [...merged.values()]
}

function isParameter(value: unknown): value is OpenAPIParameter {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as OpenAPIParameter).in === 'string' &&
    typeof (value as OpenAPIParameter).name === 'string'
  )
}

export function isDocument(value: unknown): value is OpenAPIDocument {
  return typeof value === 'object' && value !== null && 'paths' in value
}

interface OpenAPIResponse {
  description?: string
  content?: Record<string, unknown>
  [field: string]: unknown
}

const GATEWAY_ONLY =
  '(type `urn:flash-deal:problem:internal-auth-required`) the request did not come from the gateway'

/** The 401 of a `/v1` operation: its own reason, if it has one, and the gateway's token. */
function internalAuthRefusal(declared: OpenAPIResponse | undefined, bearer: boolean) {
  if (declared) {
    return {
      ...declared,
      description: `Unauthenticated: the credentials the route asks for are missing or wrong, or ${GATEWAY_ONLY}`,
    }
  }
  return {
    description: bearer ? `No valid bearer token, or ${GATEWAY_ONLY}` : `Refused: ${GATEWAY_ONLY}`,
    content: problemContent,
  }
}

/**
 * Every `/v1` operation needs the gateway's internal token as well as whatever it declared (the
 * entries of one security requirement must all hold), and can answer 401 for the lack of it.
 */
export function withInternalAuth(document: OpenAPIDocument): OpenAPIDocument {
  const paths: Record<string, Record<string, OpenAPIOperation>> = {}
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    if (!(path === '/v1' || path.startsWith('/v1/'))) {
      paths[path] = operations
      continue
    }
    const fixed: Record<string, OpenAPIOperation> = {}
    for (const [method, operation] of Object.entries(operations)) {
      if (!HTTP_METHODS.includes(method)) {
        fixed[method] = operation
        continue
      }
      const declared = Array.isArray(operation.security)
        ? (operation.security as Record<string, string[]>[])
        : []
      const security = declared.length
        ? declared.map((requirement) => ({ ...requirement, internalToken: [] }))
        : [{ internalToken: [] }]
      const responses = (operation.responses ?? {}) as Record<string, OpenAPIResponse>
      fixed[method] = {
        ...operation,
        security,
        responses: {
          ...responses,
          401: internalAuthRefusal(responses['401'], declared.length > 0),
        },
      }
    }
    paths[path] = fixed
  }
  return { ...document, paths }
}
