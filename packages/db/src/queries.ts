import type { Sql, TransactionSql } from './client'
import { generatedFrom, type QueryTypes } from './generated'
import { type ParsedQuery, parseQueryFile, type QueryKind } from './parse'
import { querySource, sourceHash, toolingSource } from './sources'

/** Anything that can run a statement: the pool or a transaction from `sql.begin`. */
export type Db = Pick<Sql, 'unsafe'> | Pick<TransactionSql, 'unsafe'>

type Spec = { kind: QueryKind; params: Record<string, unknown>; row: Record<string, unknown> }

type Result<S extends Spec> = S['kind'] extends 'one'
  ? S['row'] | null
  : S['kind'] extends 'many'
    ? S['row'][]
    : S['kind'] extends 'execrows'
      ? number
      : undefined

type Args<S extends Spec> = keyof S['params'] extends never ? [] : [params: S['params']]

export type QueryFunction<S extends Spec> = (db: Db, ...args: Args<S>) => Promise<Result<S>>

export type Queries = { [Name in keyof QueryTypes]: QueryFunction<QueryTypes[Name]> }

export class UnknownQueryError extends Error {
  constructor(name: string) {
    super(`no query named ${name} in db/query.sql`)
    this.name = 'UnknownQueryError'
  }
}

/** Builds the query functions from the text of db/query.sql (or another file in its dialect). */
export function createQueries(source: string = querySource, file = 'db/query.sql'): Queries {
  const functions: Record<string, (db: Db, params?: Record<string, unknown>) => Promise<unknown>> =
    {}
  for (const query of parseQueryFile(source, file)) functions[query.functionName] = bind(query)
  // A Proxy so that a name missing from query.sql fails loudly instead of being `undefined`.
  return new Proxy(functions, {
    get(target, property) {
      if (typeof property !== 'string') return undefined
      const fn = target[property]
      if (!fn) throw new UnknownQueryError(property)
      return fn
    },
  }) as unknown as Queries
}

function bind(query: ParsedQuery) {
  return async (db: Db, params: Record<string, unknown> = {}) => {
    const values = query.params.map(({ name, nullable }) => {
      const value = params[name]
      if (value === undefined) {
        if (nullable) return null
        throw new TypeError(`${query.name}: missing parameter "${name}"`)
      }
      return value
    })
    const rows = await db.unsafe(query.text, values as never[], { prepare: true })
    switch (query.kind) {
      case 'one':
        return rows[0] ?? null
      case 'many':
        return Array.from(rows)
      case 'execrows':
        return rows.count
      case 'exec':
        return undefined
    }
  }
}

/** Wraps one query call, given its db/query.sql name (`InsertOrders`): a span, a timer. */
export type QueryObserver = <T>(name: string, call: () => Promise<T>) => Promise<T>

/**
 * The same query functions, each call passed through `observe` under its db/query.sql name (the
 * function `insertOrders` is the query `InsertOrders`). Nothing is parsed again: it wraps
 * `base` call by call.
 */
export function observedQueries(observe: QueryObserver, base: Queries = queries): Queries {
  return new Proxy(base, {
    get(target, property) {
      const fn = Reflect.get(target, property) as (...args: unknown[]) => Promise<unknown>
      if (typeof property !== 'string') return fn
      const name = property.charAt(0).toUpperCase() + property.slice(1)
      return (...args: unknown[]) => observe(name, () => fn(...args))
    },
  })
}

/** True when the generated types were made from the current query.sql and migrations. */
export const generatedTypesAreFresh = () => generatedFrom === sourceHash()

export const queries: Queries = createQueries()

/** The tooling's statements (db/tooling.sql): the type generator's catalog reads. */
export const toolingQueries = (): Queries => createQueries(toolingSource, 'db/tooling.sql')
