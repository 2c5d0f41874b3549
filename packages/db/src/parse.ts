/**
 * Parses named queries written in sqlc's dialect (the same file sqlc generates Go from):
 *
 *   -- name: GetProduct :one
 *   SELECT ... WHERE id = @id;
 *
 * Parameters are `@id`, `sqlc.arg(id)` (for names sqlc's parser reserves, like `limit`) and
 * `sqlc.narg(note)` for one that may be null; each becomes a positional `$n` in order of first
 * use. Strings, quoted identifiers and comments are skipped so an `@` inside them is left alone.
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
  constructor(line: number, message: string, file = 'db/query.sql') {
    super(`${file}:${line}: ${message}`)
    this.name = 'QueryFileError'
  }
}

export function parseQueryFile(source: string, file = 'db/query.sql'): ParsedQuery[] {
  const lines = source.split('\n')
  const queries: ParsedQuery[] = []
  let current: { name: string; kind: QueryKind; line: number; body: string[] } | undefined

  const finish = () => {
    if (!current) return
    const body = current.body.join('\n').trim().replace(/;\s*$/, '').trim()
    if (!body) throw new QueryFileError(current.line, `query ${current.name} has no SQL`, file)
    const { text, params } = bindParameters(body, current.line, file)
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
          file,
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
      throw new QueryFileError(
        query.line,
        `${query.name} is already defined on line ${previous}`,
        file,
      )
    seen.set(query.name, query.line)
  }
  return queries
}

// `sqlc.arg(name)` / `sqlc.narg(name)`, the name bare or single-quoted as sqlc allows.
const SQLC_MACRO = /^sqlc\.(n?arg)\(\s*'?([a-z_][a-z0-9_]*)'?\s*\)/i

function bindParameters(
  body: string,
  line: number,
  file: string,
): { text: string; params: ParsedParam[] } {
  const params: ParsedParam[] = []
  const bind = (snake: string, nullable: boolean) => {
    const name = camelCase(snake)
    let index = params.findIndex((param) => param.name === name)
    if (index === -1) {
      params.push({ name, nullable })
      index = params.length - 1
    } else if (nullable) {
      ;(params[index] as ParsedParam).nullable = true
    }
    return `$${index + 1}`
  }
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
    } else if ((char === 's' || char === 'S') && !/[a-z0-9_.]/i.test(body[i - 1] ?? '')) {
      const macro = SQLC_MACRO.exec(body.slice(i))
      if (macro?.[1] && macro[2]) {
        text += bind(macro[2], macro[1].toLowerCase() === 'narg')
        i += macro[0].length
      } else {
        if (/^sqlc\./i.test(body.slice(i)))
          throw new QueryFileError(
            line,
            `unsupported sqlc macro near "${body.slice(i, i + 30)}"`,
            file,
          )
        text += char
        i += 1
      }
    } else if (char === '@' && /[a-z_]/.test(body[i + 1] ?? '') && body[i - 1] !== '@') {
      const match = /^@([a-z_][a-z0-9_]*)(\?)?/.exec(body.slice(i))
      if (!match?.[1])
        throw new QueryFileError(line, `bad parameter near "${body.slice(i, i + 20)}"`, file)
      // The old home-made nullable form; sqlc would read `@name` and choke on the `?`.
      if (match[2])
        throw new QueryFileError(
          line,
          `"@${match[1]}?" is not sqlc syntax; write sqlc.narg(${match[1]}) for a nullable parameter`,
          file,
        )
      text += bind(match[1], false)
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
