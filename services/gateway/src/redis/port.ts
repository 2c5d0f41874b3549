/**
 * The gateway's whole use of Redis, as a port with two adapters: `ioredis` (TCP, on Bun) and
 * `@upstash/redis` (HTTP REST, for edge runtimes). The purchase path depends on this interface
 * only, and on nothing but web-standard APIs, so it can move to an edge runtime unchanged.
 */
export interface LuaScript {
  readonly name: string
  readonly source: string
  /** SHA-1 of the source, the name Redis knows a loaded script by. */
  readonly sha: string
}

export interface RedisPort {
  /** Runs a script by SHA (EVALSHA), loading it with EVAL when Redis does not know it yet. */
  run(
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown>
  /** `ZRANGEBYSCORE key min +inf`: the members scored at least `min` (revoked sessions). */
  zrangeByScoreFrom(key: string, min: number): Promise<string[]>
  ping(): Promise<void>
  close(): Promise<void>
}

/** A script from its `.lua` source; the SHA is computed with WebCrypto, once, at startup. */
export async function luaScript(name: string, source: string): Promise<LuaScript> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(source))
  const sha = Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join(
    '',
  )
  return { name, source, sha }
}

/** Redis answers NOSCRIPT to EVALSHA of a script it has not seen (a restart, a SCRIPT FLUSH). */
export const isNoScript = (error: unknown) =>
  error instanceof Error && error.message.includes('NOSCRIPT')
