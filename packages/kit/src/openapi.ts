import { openapi } from '@elysiajs/openapi'
import { FormatRegistry } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { NotFoundError } from './errors'

// @elysiajs/openapi replaces TypeBox's `uuid` format with a check that builds a validation
// pipeline on every call; on the purchase path that was about a quarter of the gateway's CPU.
// Every id here is a UUID, so put back a plain regular expression (same rule, no allocation).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
FormatRegistry.Set('uuid', (value) => UUID.test(value))

export interface OpenAPIInfo {
  /** Service name, e.g. `auth`; the document's title is `flash-deal <name>`. */
  name: string
  version: string
  description: string
  /**
   * Rewrites the served document (the gateway adds the public routes it proxies). It runs on
   * every request for the document, after the declared parameters are put back.
   */
  extendDocument?: (document: OpenAPIDocument) => OpenAPIDocument | Promise<OpenAPIDocument>
}

const SPEC_PATH = '/swagger/json'

// Swagger UI is served from the pinned swagger-ui-dist package rather than a CDN, so /swagger
// works offline and always shows the same UI version.
const swaggerAssets = new URL('./', import.meta.resolve('swagger-ui-dist/package.json')).pathname
const SWAGGER_ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js'])

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
      const document = withDeclaredParameters(responseValue, routes())
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
            securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
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
        if (!SWAGGER_ASSETS.has(params.file)) throw new NotFoundError('No such Swagger UI asset')
        return Bun.file(`${swaggerAssets}${params.file}`)
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
