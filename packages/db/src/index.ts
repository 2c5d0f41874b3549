export { type ConnectOptions, connect, type Sql, type TransactionSql } from './client'
export type { QueryTypes } from './generated'
export { migrate } from './migrate'
export {
  createQueries,
  type Db,
  generatedTypesAreFresh,
  type Queries,
  queries,
  UnknownQueryError,
} from './queries'
