import { Type as T } from '@sinclair/typebox'

/** Variables every HTTP service reads; services spread these into their own schema. */
export const baseConfig = {
  HOST: T.String({ minLength: 1, default: '127.0.0.1', description: 'Address to listen on' }),
  LOG_LEVEL: T.Union(
    [T.Literal('debug'), T.Literal('info'), T.Literal('warn'), T.Literal('error')],
    {
      default: 'info',
    },
  ),
  SHUTDOWN_TIMEOUT_MS: T.Integer({ minimum: 100, default: 10_000 }),
  MAX_BODY_BYTES: T.Integer({ minimum: 1024, default: 65_536 }),
}

/**
 * The secret the gateway signs internal tokens with and the services verify them with (HS256,
 * at least 32 bytes). No default: production sets its own; the dev and test scripts set theirs.
 */
export const internalAuthSecret = T.String({ minLength: 32 })

/** How often a verifier refreshes its copy of the revoked sessions (decisions §2). */
export const revocationRefreshMs = T.Integer({ minimum: 50, maximum: 60_000, default: 1000 })

export const port = (fallback: number) =>
  T.Integer({ minimum: 1, maximum: 65_535, default: fallback })

export const databaseUrl = T.String({
  pattern: '^postgres(ql)?://',
  default: 'postgres://flashdeal:flashdeal@127.0.0.1:5432/flashdeal',
})

export const redisUrl = T.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' })

/**
 * A Redis Cluster's start-up nodes (comma-separated host:port, TOPOLOGY=cluster); when set, the
 * service talks to the cluster and REDIS_URL is not used.
 */
export const redisClusterNodes = T.Optional(
  T.String({ pattern: '^[^,\\s]+:\\d+(,[^,\\s]+:\\d+)*$' }),
)

/** Comma-separated host:port list. */
export const kafkaBrokers = T.String({
  pattern: '^[^,\\s]+:\\d+(,[^,\\s]+:\\d+)*$',
  default: '127.0.0.1:9092',
})

export const httpUrl = (fallback: string) => T.String({ pattern: '^https?://', default: fallback })
