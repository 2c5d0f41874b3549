import { queries, type Sql } from '@flash-deal/db'
import { createServiceApp, type Logger } from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'

export interface AuthDeps {
  sql: Sql
  redis: Redis
  logger: Logger
  maxBodyBytes?: number
}

/** The auth service's HTTP surface, built from injected clients; it never listens itself. */
export function createApp({ sql, redis, logger, maxBodyBytes }: AuthDeps) {
  return createServiceApp({
    name: 'auth',
    version: '1.0.0',
    description:
      'Accounts, login, rotating refresh tokens and the JWKS that other services verify with.',
    logger,
    maxBodyBytes,
    readiness: {
      postgres: () => queries.ping(sql),
      redis: () => redis.ping(),
    },
  })
}
