/**
 * The gateway's whole use of Redis, as a port with two adapters: `ioredis` (TCP, on Bun) and
 * `@upstash/redis` (HTTP REST, for edge runtimes). The purchase path depends on this interface
 * only, and on nothing but web-standard APIs, so it can move to an edge runtime unchanged.
 * Scripts run on it through the kit's Lua loader (`LuaScript#run`: EVALSHA, EVAL on NOSCRIPT).
 */
import type { LuaEvaluator } from '@flash-deal/kit/lua'

export interface RedisPort extends LuaEvaluator {
  /** `ZRANGEBYSCORE key min +inf`: the members scored at least `min` (revoked sessions). */
  zrangeByScoreFrom(key: string, min: number): Promise<string[]>
  ping(): Promise<void>
  close(): Promise<void>
}
