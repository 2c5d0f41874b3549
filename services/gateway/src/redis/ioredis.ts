import type { Logger } from '@flash-deal/kit'
import { isNoScript, type LuaScript } from '@flash-deal/kit/lua'
import { closeRedis, createRedis, isCluster, type Redis, refreshSlots } from '@flash-deal/kit/redis'
import type { ReplicatingPort, ReplicaWait } from '../purchase/replica-wait'
import type { RedisPort } from './port'

const isMoved = (error: unknown) => error instanceof Error && error.message.startsWith('MOVED ')

/**
 * The TCP adapter. ioredis auto-pipelines: the commands of all requests in flight go out in one
 * write, so a spike costs Redis few round trips. Commands fail fast while Redis is down (the kit's
 * client settings), which the purchase turns into 503.
 */
export class IoredisPort implements RedisPort, ReplicatingPort {
  readonly client: Redis

  /** `clusterNodes` (REDIS_CLUSTER_NODES): a Redis Cluster client instead of one node's. */
  constructor(options: { url: string; logger: Logger; clusterNodes?: string }) {
    this.client = createRedis(options.url, options.logger, options.clusterNodes)
  }

  evalsha(sha: string, numKeys: number, ...keysAndArgs: (string | number)[]) {
    return this.client.evalsha(sha, numKeys, ...keysAndArgs)
  }

  eval(source: string, numKeys: number, ...keysAndArgs: (string | number)[]) {
    return this.client.eval(source, numKeys, ...keysAndArgs)
  }

  /**
   * The script (EVALSHA, EVAL on NOSCRIPT) and `WAIT` in one pipeline: on a cluster a pipeline
   * goes to the node owning its keys' slot, so the WAIT asks that node's replicas.
   */
  async runReplicated(
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[],
    wait: ReplicaWait,
  ) {
    try {
      return await this.runThenWait(script, keys, args, wait)
    } catch (error) {
      // A failover moved the deal's slot. ioredis follows MOVED for a pipeline only when every
      // command in it got one, and WAIT (no key) does not, so the slot map is reloaded here and
      // the call goes once more. MOVED means the node ran nothing: the retry cannot buy twice.
      if (!isMoved(error) || !isCluster(this.client)) throw error
      await refreshSlots(this.client)
      return await this.runThenWait(script, keys, args, wait)
    }
  }

  private async runThenWait(
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[],
    wait: ReplicaWait,
  ) {
    const bySha = await this.scriptThenWait(['evalsha', await script.sha()], keys, args, wait)
    if (!isNoScript(bySha.error)) return bySha.unwrap()
    return (await this.scriptThenWait(['eval', script.source], keys, args, wait)).unwrap()
  }

  private async scriptThenWait(
    [command, script]: ['evalsha' | 'eval', string],
    keys: readonly string[],
    args: readonly (string | number)[],
    wait: ReplicaWait,
  ) {
    const [ran, waited] = ((await this.client
      .pipeline()
      .call(command, script, keys.length, ...keys, ...args)
      .call('WAIT', wait.replicas, wait.timeoutMs)
      .exec()) ?? []) as [Error | null, unknown][]
    const error = ran?.[0] ?? waited?.[0] ?? (ran ? null : new Error('empty pipeline reply'))
    return {
      error,
      unwrap: () => {
        if (error) throw error
        return { reply: ran?.[1], replicas: Number(waited?.[1]) }
      },
    }
  }

  zrangeByScoreFrom(key: string, min: number) {
    return this.client.zrangebyscore(key, min, '+inf')
  }

  async ping() {
    await this.client.ping()
  }

  close() {
    return closeRedis(this.client)
  }
}
