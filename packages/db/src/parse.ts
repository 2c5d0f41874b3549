/**
 * Parses sqlc-style named queries:
 *
 *   -- name: GetProduct :one
 *   SELECT ... WHERE id = @id;
 *
 * Named parameters (`@id`, or `@note?` for one that may be null) become positional `$n` in order
 * of first use. Strings, quoted identifiers and comments are skipped so an `@` inside them is
 * left alone.
 */
export type QueryKind = 'one' | 'many' | 'exec' | 'execrows'

export interface ParsedParam {
  /** camelCased: `@password_hash` is passed as `{ passwordHash }`. */
  name: string
  nullable: boolean
}

export interface ParsedQuery {
  /** The name in the file, e.g. `GetProduct`. */
  name: string
  /** The function name, e.g. `getProduct`. */
  functionName: string
  kind: QueryKind
  /** SQL with positional parameters, ready for Postgres. */
  text: string
  params: ParsedParam[]
  line: number
}

const HEADER = /^--\s*name:\s*([A-Z][A-Za-z0-9]*)\s+:(one|many|exec|execrows)\s*$/
const KINDS = new Set<QueryKind>(['one', 'many', 'exec', 'execrows'])

export class QueryFileError extends Error {
  constructor(line: number, message: string) {
    super(`db/query.sql:${line}: ${message}`)
    this.name = 'QueryFileError'
  }
}

export function parseQueryFile(source: string): ParsedQuery[] {
  const lines = source.split('\n')
  const queries: ParsedQuery[] = []
  let current: { name: string; kind: QueryKind; line: number; body: string[] } | undefined

  const finish = () => {
    if (!current) return
    const body = current.body.join('\n').trim().replace(/;\s*$/, '').trim()
    if (!body) throw new QueryFileError(current.line, `query ${current.name} has no SQL`)
    const { text, params } = bindParameters(body, current.line)
    queries.push({
      name: current.name,
      functionName: current.name[0]?.toLowerCase() + current.name.slice(1),
      kind: current.kind,
      text,
      params,
      line: current.line,
    })
  }

  lines.forEach((raw, index) => {
    const line = raw.trimEnd()
    if (/^--\s*name:/.test(line)) {
      const match = HEADER.exec(line)
      if (!match?.[1] || !match[2] || !KINDS.has(match[2] as QueryKind)) {
        throw new QueryFileError(
          index + 1,
          `malformed header "${line}" (want "-- name: PascalName :one|:many|:exec|:execrows")`,
        )
      }
      finish()
      current = { name: match[1], kind: match[2] as QueryKind, line: index + 1, body: [] }
      return
    }
    // Comment lines between queries document them; they are not sent to Postgres.
    if (/^\s*--/.test(line)) return
    current?.body.push(line)
  })
  finish()

  const seen = new Map<string, number>()
  for (const query of queries) {
    const previous = seen.get(query.name)
    if (previous)
      throw new QueryFileError(query.line, `${query.name} is already defined on line ${previous}`)
    seen.set(query.name, query.line)
  }
  return queries
}

function bindParameters(body: string, line: number): { text: string; params: ParsedParam[] } {
  const params: ParsedParam[] = []
  let text = ''
  let i = 0
  while (i < body.length) {
    const char = body[i] as string
    if (char === "'" || char === '"') {
      const end = closing(body, i, char)
      text += body.slice(i, end)
      i = end
    } else if (char === '-' && body[i + 1] === '-') {
      const end = body.indexOf('\n', i)
      i = end === -1 ? body.length : end
    } else if (char === '@' && /[a-z_]/.test(body[i + 1] ?? '') && body[i - 1] !== '@') {
      const match = /^@([a-z_][a-z0-9_]*)(\?)?/.exec(body.slice(i))
      if (!match?.[1])
        throw new QueryFileError(line, `bad parameter near "${body.slice(i, i + 20)}"`)
      const name = camelCase(match[1])
      const nullable = match[2] === '?'
      let index = params.findIndex((param) => param.name === name)
      if (index === -1) {
        params.push({ name, nullable })
        index = params.length - 1
      } else if (nullable) {
        ;(params[index] as ParsedParam).nullable = true
      }
      text += `$${index + 1}`
      i += match[0].length
    } else {
      text += char
      i += 1
    }
  }
  return { text, params }
}

function closing(body: string, start: number, quote: string): number {
  let i = start + 1
  while (i < body.length) {
    if (body[i] === quote) {
      if (body[i + 1] === quote) {
        i += 2
        continue
      }
      return i + 1
    }
    i += 1
  }
  return body.length
}

export const camelCase = (snake: string) =>
  snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
