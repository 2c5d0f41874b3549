import { openapi } from '@elysiajs/openapi'
import { FormatRegistry } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { type SwaggerAsset, swaggerAsset } from '#swagger-assets'
import { NotFoundError } from './errors'
import { withKitErrors } from './openapi-errors'
import {
  type DocumentedRoute,
  isDocument,
  type OpenAPIDocument,
  withDeclaredParameters,
  withInternalAuth,
} from './openapi-transforms'

export type { OpenAPIDocument } from './openapi-transforms'

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
