import { queries, type Sql } from '@flash-deal/db'
import { createServiceApp, type Logger } from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'

export interface ProductDeps {
  sql: Sql
  redis: Redis
  logger: Logger
  maxBodyBytes?: number
}

/** The product service's HTTP surface, built from injected clients; it never listens itself. */
export function createApp({ sql, redis, logger, maxBodyBytes }: ProductDeps) {
  return createServiceApp({
    name: 'product',
    version: '1.0.0',
    description: 'Products and flash deals; reads go through the ProductRepository strategy.',
    logger,
    maxBodyBytes,
    readiness: {
      postgres: () => queries.ping(sql),
      redis: () => redis.ping(),
    },
  })
}
