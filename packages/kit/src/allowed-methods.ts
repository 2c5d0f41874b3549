/**
 * Which methods a service answers on a path, from its routes (Elysia's `app.routes`): what a
 * request with another method on that path is told in `405 Allow` instead of a bare 404.
 */
interface Route {
  method: string
  path: string
}

const patternOf = (path: string) =>
  new RegExp(
    `^${path
      .split('/')
      .map((part) =>
        part === '*'
          ? '.*'
          : part.startsWith(':')
            ? '[^/]+'
            : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/')}$`,
  )

/** The methods routed on `pathname`, upper case, in route order; empty for an unknown path. */
export function allowedMethods(routes: readonly Route[], pathname: string): string[] {
  const methods = new Set<string>()
  for (const route of routes) {
    if (route.method === 'ALL' || !patternOf(route.path).test(pathname)) continue
    methods.add(route.method.toUpperCase())
  }
  return [...methods]
}
