import calculateSlot from 'cluster-key-slot'
import IORedis, { Cluster } from 'ioredis'
import type { Logger } from './logger'
import { REVOKED_SESSIONS_KEY, type RevokedSessions, revokedSessions } from './revocation'

/**
 * A Redis client: one node (`IORedis`), or a Redis Cluster (`Cluster`, which routes each command
 * to the node owning its key's slot and follows the cluster through a failover). Callers use the
 * commands both have; a command or script naming keys in two slots fails on a cluster
 * (`CROSSSLOT`), which is why every deal key carries the deal's hash tag.
 */
export type Redis = IORedis | Cluster

/** True for a Redis Cluster client: a command may name keys of one slot only. */
export const isCluster = (redis: Redis): redis is Cluster => redis instanceof Cluster

/** Reloads a cluster client's slot map (after a `MOVED` it could not follow by itself). */
export const refreshSlots = (cluster: Cluster) =>
  new Promise<void>((resolve, reject) =>
    cluster.refreshSlotsCache((error) => (error ? reject(error) : resolve())),
  )

/** The cluster slot (0-16383) of a key: of its `{hash tag}` when it has one. */
export const keySlot = (key: string): number => calculateSlot(key)

/** The settings both kinds share: fail fast while Redis is down instead of queueing forever. */
const clientOptions = {
  lazyConnect: false,
  enableAutoPipelining: true,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  enableOfflineQueue: true,
  retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
}

/**
 * Commands a Cluster client must not auto-pipeline: ioredis groups auto-pipelined commands by the
 * slot of their first argument, which for these is not a key (a script's SHA, `GROUP`, a
 * subcommand), so commands for two slots would share a pipeline and fail. Both spellings: the
 * list is matched as the command is named (`call('XREADGROUP', ...)`).
 */
const NOT_KEYED_FIRST = ['eval', 'evalsha', 'xreadgroup', 'xread', 'xgroup', 'xinfo']
const clusterUnpipelined = [...NOT_KEYED_FIRST, ...NOT_KEYED_FIRST.map((c) => c.toUpperCase())]

/** `host:port,host:port` (REDIS_CLUSTER_NODES) as ioredis's start-up nodes. */
export const parseClusterNodes = (value: string) =>
  value
    .split(',')
    .map((node) => node.trim())
    .filter(Boolean)
    .map((node) => {
      const at = node.lastIndexOf(':')
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) }
    })

/**
 * An ioredis client that fails fast while Redis is down instead of queueing commands forever:
 * a request that needs Redis should error within a bounded time so callers can fall back or
 * answer 503. With `clusterNodes` (REDIS_CLUSTER_NODES) it is a Cluster client started from those
 * nodes and `url` is not used; a failover (a replica promoted) moves the slots, and the client
 * follows the MOVED answers and refreshes its slot map.
 */
export function createRedis(url: string, logger: Logger, clusterNodes?: string): Redis {
  const client = clusterNodes
    ? new Cluster(parseClusterNodes(clusterNodes), {
        enableAutoPipelining: true,
        autoPipeliningIgnoredCommands: clusterUnpipelined,
        enableOfflineQueue: true,
        clusterRetryStrategy: clientOptions.retryStrategy,
        // A promoted replica takes over in about the node timeout; retry a moved or failed
        // command a few times, then fail so the caller answers 503.
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        maxRedirections: 8,
        redisOptions: {
          maxRetriesPerRequest: clientOptions.maxRetriesPerRequest,
          connectTimeout: clientOptions.connectTimeout,
        },
      })
    : new IORedis(url, clientOptions)
  let healthy = true
  client.on('error', (error: Error) => {
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
