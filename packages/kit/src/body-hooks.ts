/** Which routes read a body, for the kit's one body reader (body.ts). */
import type { AnyElysia } from 'elysia'

/**
 * Only a route with a body schema reads the body: a route declared with `parse: 'none'` (the
 * gateway's proxy) streams it on, any other (logout...) ignores it. Looked up once per route.
 */
export function bodyReadingRoutes(app: AnyElysia) {
  const readsBody = new Map<string, boolean>()
  return (method: string, route: string) => {
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
}

// Elysia's `on` accepts a named parser as a hook container; its typings only take functions.
export const JSON_PARSER_FOR_THE_DOCUMENT = { fn: 'json' } as unknown as () => undefined

function declaresNoParse(parse: unknown): boolean {
  return (
    Array.isArray(parse) &&
    parse.some((hook) => hook === 'none' || (hook as { fn?: unknown } | null)?.fn === 'none')
  )
}
