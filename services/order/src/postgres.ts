import { type Logger, ServiceUnavailableError } from '@flash-deal/kit'

// Client-side codes (the socket, or postgres.js giving up on a connection) and server-side
// SQLSTATEs (class 08 connection exception, shutting down, out of connections) that mean
// "Postgres cannot serve us right now", as opposed to a bug in a statement.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P02',
  '57P03',
  '53300',
])

export function isPostgresDown(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))
}

/**
 * Runs work that needs Postgres. Postgres being unreachable is our outage and answers 503 with
 * Retry-After; left alone it would be an opaque 500 that reads like a bug.
 */
export async function withPostgres<T>(logger: Logger, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (!isPostgresDown(error)) throw error
    logger.warn('postgres unreachable', { error })
    throw new ServiceUnavailableError('Orders are unavailable right now; try again shortly', 1)
  }
}
