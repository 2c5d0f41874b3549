/**
 * The gateway's /swagger/json is the whole public API as a client reaches it through this door:
 * the gateway's own routes plus, from each upstream's own document (its /swagger/json, open on
 * every service), the paths the gateway proxies to it — exactly the prefixes of the routing
 * table, so internal routes (health of the upstreams, the reconciler, cache metrics, JWKS) stay
 * out. One document, one Authorize, one origin: Swagger UI's "Try it out" calls the gateway.
 *
 * Merged here, when the document is asked for, rather than committed: it is always the running
 * upstreams' contract. Built on fetch only (no `node:` imports), like the proxy.
 */
import { type Logger, type OpenAPIDocument, problemContent } from '@flash-deal/kit'
import type { Upstream } from './proxy'
import { HASHING_PATHS } from './purchase/rate-limit'

export interface PublicRoute {
  prefix: string
  owner: string
}

interface Tag {
  name: string
  [field: string]: unknown
}

interface Components {
  schemas?: Record<string, unknown>
  securitySchemes?: Record<string, unknown>
  [field: string]: unknown
}

/** How long an upstream's document is reused; a deploy shows within this. */
const CACHE_MS = 30_000

/** True when a path of an upstream's document is one the gateway proxies under `prefix`. */
const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`)

export function publicDocument(options: {
  upstreams: Record<string, Upstream>
  routes: readonly PublicRoute[]
  logger: Logger
}) {
  const cache = new Map<string, { document: OpenAPIDocument; at: number }>()

  async function upstreamDocument(upstream: Upstream): Promise<OpenAPIDocument | null> {
    const cached = cache.get(upstream.name)
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.document
    try {
      const response = await fetch(new URL('/swagger/json', upstream.baseUrl), {
        signal: AbortSignal.timeout(upstream.timeoutMs),
      })
      if (!response.ok) throw new Error(`answered ${response.status}`)
      const document = (await response.json()) as OpenAPIDocument
      cache.set(upstream.name, { document, at: Date.now() })
      return document
    } catch (error) {
      // The last good copy beats a hole in the page; with none, the page says what is missing.
      options.logger.warn('public document: an upstream document is unreachable', {
        upstream: upstream.name,
        error,
      })
      return cached?.document ?? null
    }
  }

  return async function extend(own: OpenAPIDocument): Promise<OpenAPIDocument> {
    const owners = [...new Set(options.routes.map((route) => route.owner))]
    const documents = await Promise.all(
      owners.map(async (owner) => {
        const upstream = options.upstreams[owner]
        return [owner, upstream ? await upstreamDocument(upstream) : null] as const
      }),
    )
    const byOwner = new Map(documents)
    const paths = { ...own.paths }
    const tags = new Map<string, Tag>(
      ((own.tags as Tag[] | undefined) ?? []).map((t) => [t.name, t]),
    )
    const components: Components = { ...(own.components as Components | undefined) }
    const missing: string[] = []
    for (const owner of owners) {
      const document = byOwner.get(owner)
      if (!document) {
        missing.push(owner)
        continue
      }
      for (const [path, operations] of Object.entries(document.paths ?? {})) {
        // The gateway's own route wins (the purchase: the order service has a sync-mode twin).
        if (paths[path]) continue
        if (options.routes.some((route) => route.owner === owner && under(path, route.prefix)))
          paths[path] = withGatewayAnswers(
            path,
            withoutInternalToken(operations),
          ) as typeof operations
      }
      for (const tag of (document.tags as Tag[] | undefined) ?? [])
        if (!tags.has(tag.name)) tags.set(tag.name, tag)
      const theirs = (document.components as Components | undefined) ?? {}
      components.schemas = { ...theirs.schemas, ...components.schemas }
      components.securitySchemes = { ...theirs.securitySchemes, ...components.securitySchemes }
    }
    // The gateway itself presents the internal token upstream: a client never sends one.
    if (components.securitySchemes) delete components.securitySchemes[INTERNAL_TOKEN_SCHEME]
    const info = own.info as { description?: string } | undefined
    const note = missing.length
      ? ` Not shown: the routes of ${missing.join(', ')}, whose document did not answer.`
      : ''
    return {
      ...own,
      info: { ...info, description: `${info?.description ?? ''}${note}` },
      ...(tags.size > 0 ? { tags: [...tags.values()] } : {}),
      components,
      paths,
    }
  }
}

const problem = (description: string) => ({ description, content: problemContent })
const UPSTREAM_FAILURES = {
  '502': problem('The owning service could not be reached (the gateway answers)'),
  '504': problem('The owning service did not answer in time (the gateway answers)'),
}
const ADDRESS_LIMIT = {
  '429': problem('Too many sign-ups and logins from this address; wait Retry-After seconds'),
}

/** What the gateway itself may answer for a proxied operation, beside what its owner documents. */
function withGatewayAnswers(path: string, operations: unknown): unknown {
  if (!operations || typeof operations !== 'object') return operations
  const result: Record<string, unknown> = {}
  for (const [method, operation] of Object.entries(operations as Record<string, unknown>)) {
    const own = (operation as { responses?: Record<string, unknown> } | null)?.responses
    if (!own) {
      result[method] = operation
      continue
    }
    const limited = method === 'post' && HASHING_PATHS.includes(path) ? ADDRESS_LIMIT : {}
    const responses = { ...UPSTREAM_FAILURES, ...limited, ...own }
    result[method] = { ...(operation as object), responses }
  }
  return result
}

/** The services' name for the gateway's X-Internal-Token in their documents (kit's openapi). */
const INTERNAL_TOKEN_SCHEME = 'internalToken'

/** An upstream's operations as a client reaches them through the gateway: no internal token. */
function withoutInternalToken(operations: unknown): unknown {
  if (!operations || typeof operations !== 'object') return operations
  const result: Record<string, unknown> = {}
  for (const [method, operation] of Object.entries(operations as Record<string, unknown>)) {
    const security = (operation as { security?: Record<string, string[]>[] } | null)?.security
    if (!Array.isArray(security)) {
      result[method] = operation
      continue
    }
    const kept = security
      .map((requirement) => {
        const { [INTERNAL_TOKEN_SCHEME]: _internal, ...rest } = requirement
        return rest
      })
      .filter((requirement) => Object.keys(requirement).length > 0)
    const { security: _security, ...rest } = operation as Record<string, unknown>
    result[method] = kept.length > 0 ? { ...rest, security: kept } : rest
  }
  return result
}
