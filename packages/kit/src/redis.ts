import Redis from 'ioredis'
import type { Logger } from './logger'
import { REVOKED_SESSIONS_KEY, type RevokedSessions, revokedSessions } from './revocation'

/**
 * An ioredis client that fails fast while Redis is down instead of queueing commands forever:
 * a request that needs Redis should error within a bounded time so callers can fall back or
 * answer 503.
 */
export function createRedis(url: string, logger: Logger): Redis {
  const client = new Redis(url, {
    lazyConnect: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  })
  let healthy = true
  client.on('error', (error) => {
    if (healthy) logger.warn('redis error', { error: error.message })
    healthy = false
  })
  client.on('ready', () => {
    if (!healthy) logger.info('redis reconnected')
    healthy = true
  })
  return client
}

export async function closeRedis(client: Redis): Promise<void> {
  try {
    await client.quit()
  } catch {
    // quit fails when the connection is already gone; disconnect drops any reconnect timer.
    client.disconnect()
  }
}

/** The revoked-sessions copy (revocation.ts) loaded through an ioredis client; not started. */
export function revokedSessionsOn(
  client: Redis,
  refreshMs: number,
  logger?: Logger,
): RevokedSessions {
  return revokedSessions({
    load: (now) => client.zrangebyscore(REVOKED_SESSIONS_KEY, now, '+inf'),
    refreshMs,
    logger,
  })
}

export type { Redis }
