export { type ConnectOptions, connect, type Sql, type TransactionSql } from './client'
export type { QueryTypes } from './generated'
export {
  createQueries,
  type Db,
  generatedTypesAreFresh,
  observedQueries,
  type Queries,
  type QueryObserver,
  queries,
  UnknownQueryError,
} from './queries'
export {
  postgresAttributes,
  type QueriesFor,
  tracedQueries,
  untracedQueries,
} from './tracing'
