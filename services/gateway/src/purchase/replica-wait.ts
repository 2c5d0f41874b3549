/**
 * Durable acceptance: a purchase is answered 202 only once its reservation (and its outbox
 * record, written by the same script) is on at least `replicas` replicas of the Redis node that
 * ran it. Redis replicates asynchronously, so a primary that dies before its replica has a write
 * takes the write with it; a 202 given before the replica had it would be an accepted order a
 * failover can lose. So, after `reserve.lua`, `WAIT replicas timeoutMs` on the same connection —
 * pipelined with the script, to the node owning the deal's slot — says how many replicas have
 * every write that connection made so far. Too few in time: 503, retry with the same
 * Idempotency-Key. The reservation may still stand (the replica may get it a moment later, or the
 * primary may live on): the retry then answers it (`replayed`), or, if a failover lost it, makes
 * it anew — never twice, never a 202 that a failover takes back.
 *
 * On by default where Redis is a cluster (REDIS_CLUSTER_NODES): 1 replica, 500 ms. Off on a single
 * node, which has no replica to wait for; there what a crash can lose is bounded by the AOF fsync
 * policy instead (README, "Durable acceptance").
 */
import type { DealScriptCall, ReserveReply } from '@flash-deal/contracts'
import type { LuaScript } from '@flash-deal/kit/lua'
import type { RedisPort } from '../redis/port'

export interface ReplicaWait {
  /** Replicas that must acknowledge the reservation's writes before a 202. */
  replicas: number
  /** How long the gateway waits for them (WAIT's timeout). */
  timeoutMs: number
}

/** A Redis port that can run a script and WAIT on the same node in one pipeline. */
export interface ReplicatingPort {
  runReplicated(
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[],
    wait: ReplicaWait,
  ): Promise<{ reply: unknown; replicas: number }>
}

/** The reservation script's raw answer, and whether enough replicas have its writes. */
export type ReserveRunner = (
  call: DealScriptCall<ReserveReply>,
) => Promise<{ answer: unknown; replicated: boolean }>

const canReplicate = (redis: RedisPort): redis is RedisPort & ReplicatingPort =>
  'runReplicated' in redis

/** How the reservation runs: with the replica wait when one is asked for, else the script only. */
export function reserveRunner(redis: RedisPort, wait: ReplicaWait | undefined): ReserveRunner {
  if (!wait || wait.replicas === 0)
    return async (call) => ({
      answer: await call.script.run(redis, call.keys, call.args),
      replicated: true,
    })
  if (!canReplicate(redis))
    throw new Error(
      'REDIS_WAIT_REPLICAS needs the ioredis adapter (WAIT on the node that ran the script)',
    )
  return async (call) => {
    const { reply, replicas } = await redis.runReplicated(call.script, call.keys, call.args, wait)
    return { answer: reply, replicated: replicas >= wait.replicas }
  }
}
