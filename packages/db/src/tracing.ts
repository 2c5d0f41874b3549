/**
 * Postgres statement spans, named by their db/query.sql name (`GetProduct`), for the unit of work
 * that runs them. Inside a request the parent is the active context (the kit's request scope):
 * a service asks `queriesFor()` for the query functions and calls them as it would call
 * `queries`. Work outside a request (a consumer batch) passes its parent: `queriesFor(batch)`.
 */
import {
  activeTrace,
  ROOT_CONTEXT,
  SpanKind,
  type Telemetry,
  type TraceContext,
} from '@flash-deal/kit'
import { parseQueryFile } from './parse'
import { observedQueries, type Queries, queries } from './queries'
import { querySource } from './sources'

/**
 * The query functions for work under `parent` (the active context when absent); the plain ones
 * when there is no parent (outside any request or traced work).
 */
export type QueriesFor = (parent?: TraceContext) => Queries

/** No tracing: always the plain query functions (the default of every service). */
export const untracedQueries: QueriesFor = () => queries

/** The attributes every Postgres span carries (semantic conventions 1.3x). */
export function postgresAttributes(databaseName?: string) {
  return {
    // `db.system` is what service maps (SigNoz) key on; `db.system.name` is its stable name.
    'db.system': 'postgresql',
    'db.system.name': 'postgresql',
    ...(databaseName ? { 'db.namespace': databaseName } : {}),
  }
}

/**
 * A CLIENT span per statement under the caller's parent: named and summarised by its query.sql
 * name, with its SQL verb as `db.operation.name` and its parameterised text (values are never
 * recorded). Tracing off: `untracedQueries`, so an untraced call costs one function call.
 */
export function tracedQueries(
  telemetry: Telemetry | undefined,
  options: { databaseName?: string } = {},
): QueriesFor {
  if (!telemetry?.enabled) return untracedQueries
  const common = postgresAttributes(options.databaseName)
  const statements = new Map(
    parseQueryFile(querySource).map((query) => [
      query.name,
      {
        ...common,
        'db.query.summary': query.name,
        'db.operation.name': query.text.trimStart().split(/\s/, 1)[0]?.toUpperCase() ?? '',
        'db.query.text': query.text,
      },
    ]),
  )
  return (parent = activeTrace()) => {
    if (parent === ROOT_CONTEXT) return queries
    return observedQueries((name, call) =>
      telemetry.withSpan(
        name,
        { parent, kind: SpanKind.CLIENT, attributes: statements.get(name) ?? common },
        call,
      ),
    )
  }
}
