/**
 * The cluster's nodes as the fault tests need them: which Redis node is the primary of a key's
 * slot (from the cluster client's own slot map), and the pids of the nodes `infra/local`
 * started (its pid files, under FLASH_STATE_DIR/run), so a test can SIGKILL one for real.
 */
import { isCluster, keySlot } from '@flash-deal/kit/redis'
import { kv } from '../src/harness'

const runDir = () => {
  const state = process.env.FLASH_STATE_DIR
  if (!state) throw new Error('FLASH_STATE_DIR is not set (run through make test-cluster)')
  return `${state}/run`
}

async function pidFrom(file: string) {
  const pid = Number((await Bun.file(file).text()).trim())
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`no pid in ${file}`)
  return pid
}

/** The port of the primary that owns `key`'s slot, by the cluster client's slot map. */
export async function primaryPortOf(key: string) {
  const redis = kv()
  if (!isCluster(redis)) throw new Error('not a Redis Cluster (REDIS_CLUSTER_NODES is unset)')
  await redis.get(key) // connected, slot map loaded
  const owner = redis.slots[keySlot(key)]?.[0]
  if (!owner) throw new Error(`no node owns the slot of ${key}`)
  return Number(owner.split(':').pop())
}

/** SIGKILL the Redis node on `port`: no AOF fsync, no goodbye to the cluster — a crash. */
export async function killRedisNode(port: number) {
  process.kill(await pidFrom(`${runDir()}/redis-cluster-${port}.pid`), 'SIGKILL')
}

/** SIGKILL Kafka broker `node` (1-3). */
export async function killKafkaBroker(node: number) {
  process.kill(await pidFrom(`${runDir()}/kafka-cluster-${node}.pid`), 'SIGKILL')
}
