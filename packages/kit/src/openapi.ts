import { openapi } from '@elysiajs/openapi'
import { FormatRegistry } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { type SwaggerAsset, swaggerAsset } from '#swagger-assets'
import { NotFoundError } from './errors'
import { problemContent, withKitErrors } from './openapi-errors'

// @elysiajs/openapi replaces TypeBox's `uuid` format with a check that builds a validation
// pipeline on every call; on the purchase path that was about a quarter of the gateway's CPU.
// Every id here is a UUID, so put back a plain regular expression (same rule, no allocation).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
FormatRegistry.Set('uuid', (value) => UUID.test(value))
// It replaces `email` too, with a check stricter than the format promises (`}@o.io` was 422 to
// a client following the document): the rule of HTML's <input type=email> (WHATWG), a
// dot-atom local part and a host name, is what the document and the validator both mean.
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/
FormatRegistry.Set('email', (value) => EMAIL.test(value))

export interface OpenAPIInfo {
  /** Service name, e.g. `auth`; the document's title is `flash-deal <name>`. */
  name: string
  version: string
  description: string
  /** The `/v1` routes take requests from the gateway only (X-Internal-Token): say so. */
  internalAuth?: boolean
  /**
   * Rewrites the served document (the gateway adds the public routes it proxies). It runs on
   * every request for the document, after the declared parameters are put back.
   */
  extendDocument?: (document: OpenAPIDocument) => OpenAPIDocument | Promise<OpenAPIDocument>
}

const SPEC_PATH = '/swagger/json'

// Swagger UI is served from the pinned swagger-ui-dist package rather than a CDN, so /swagger
// works offline and always shows the same UI version (read from disk on Bun, bundled in the
// Worker: `#swagger-assets` resolves per runtime).
const SWAGGER_ASSETS = new Set<string>(['swagger-ui.css', 'swagger-ui-bundle.js'])
const isSwaggerAsset = (file: string): file is SwaggerAsset => SWAGGER_ASSETS.has(file)

/**
 * The service's OpenAPI document at /swagger/json and Swagger UI at /swagger, with the
 * parameters routes declare in `detail.parameters` kept (see `withDeclaredParameters`).
 * `routes` answers every route of the app, read when the document is asked for.
 */
export function openapiDocs(info: OpenAPIInfo, routes: () => readonly DocumentedRoute[]) {
  // A local hook: it runs for the routes of this plugin only, never on a service's own routes.
  return new Elysia()
    .onAfterHandle(async ({ path, responseValue }) => {
      if (path !== SPEC_PATH || !isDocument(responseValue)) return
      const declared = withDeclaredParameters(responseValue, routes())
      const document = withKitErrors(info.internalAuth ? withInternalAuth(declared) : declared)
      return info.extendDocument ? await info.extendDocument(document) : document
    })
    .use(
      openapi({
        path: '/swagger',
        specPath: SPEC_PATH,
        provider: 'swagger-ui',
        documentation: {
          info: {
            title: `flash-deal ${info.name}`,
            version: info.version,
            description: info.description,
          },
          components: {
            securitySchemes: {
              bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
              ...(info.internalAuth
                ? {
                    internalToken: {
                      type: 'apiKey',
                      in: 'header',
                      name: 'X-Internal-Token',
                      description:
                        "The gateway's short-lived HS256 token for this service (iss flash-deal-gateway, aud the service). Only the gateway calls /v1 routes; without a valid token they answer 401 urn:flash-deal:problem:internal-auth-required.",
                    },
                  }
                : {}),
            },
          },
        },
        exclude: { paths: ['/swagger', SPEC_PATH] },
        swagger: {
          theme: '/swagger/assets/swagger-ui.css',
          cdn: '/swagger/assets/swagger-ui-bundle.js',
        },
      }),
    )
    .get(
      '/swagger/assets/:file',
      ({ params }) => {
        if (!isSwaggerAsset(params.file)) throw new NotFoundError('No such Swagger UI asset')
        return swaggerAsset(params.file)
      },
      { detail: { hide: true } },
    )
}

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

function isDocument(value: unknown): value is OpenAPIDocument {
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
