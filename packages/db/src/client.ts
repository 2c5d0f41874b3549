import postgres from 'postgres'

export type Sql = postgres.Sql
export type TransactionSql = postgres.TransactionSql

export interface ConnectOptions {
  /** Pool size; the default suits one service process on a small box. */
  max?: number
  /** Name shown in pg_stat_activity, which makes `SELECT * FROM pg_stat_activity` readable. */
  applicationName?: string
  onnotice?: (notice: postgres.Notice) => void
}

/**
 * Opens a postgres.js pool. Column names come back camelCased (`stock_remaining` becomes
 * `stockRemaining`), which is what the generated row types describe.
 */
export function connect(url: string, options: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 5,
    prepare: true,
    transform: { column: { from: postgres.toCamel } },
    connection: { application_name: options.applicationName ?? 'flash-deal' },
    onnotice: options.onnotice ?? (() => {}),
  })
}
