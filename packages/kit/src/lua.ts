/**
 * The one way this repository runs Lua on Redis. A script is defined once from its `.lua`
 * source; each call sends only its SHA (`EVALSHA`) and sends the source (`EVAL`) only when Redis
 * answers `NOSCRIPT` (a restart, a failover to a replica that never saw it, `SCRIPT FLUSH`).
 * EVAL also loads the script, so the next call is an EVALSHA again.
 *
 * It needs nothing but the two commands, in ioredis's argument order, so an ioredis client (or
 * cluster) is a `LuaEvaluator` as it is, the gateway's Redis port (ioredis or Upstash's REST
 * client) adapts to it, and tests pass a real client. Web-standard APIs only: it runs on workerd.
 */

/** The two commands a script needs: `EVALSHA sha numkeys key... arg...` and `EVAL source ...`. */
export interface LuaEvaluator {
  evalsha(sha: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>
  eval(source: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>
}

/** Redis answers NOSCRIPT to EVALSHA of a script it does not hold. */
export const isNoScript = (error: unknown) =>
  error instanceof Error && error.message.includes('NOSCRIPT')

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text))
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('')
}

export class LuaScript {
  private shaOnce: Promise<string> | undefined

  constructor(
    /** What spans and logs call it, e.g. `reserve` (`EVALSHA reserve`). */
    readonly name: string,
    readonly source: string,
  ) {}

  /** SHA-1 of the source: the name Redis knows the loaded script by. Computed once. */
  sha(): Promise<string> {
    // WebCrypto's digest is asynchronous; the promise is kept, so every later call awaits a
    // settled one.
    this.shaOnce ??= sha1Hex(this.source)
    return this.shaOnce
  }

  /** Runs the script: KEYS are `keys`, ARGV are `args`. Redis's errors surface as thrown. */
  async run(
    redis: LuaEvaluator,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    const sha = await this.sha()
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!isNoScript(error)) throw error
      return await redis.eval(this.source, keys.length, ...keys, ...args)
    }
  }
}

/** A script from its `.lua` source (import it with `with { type: 'text' }`). */
export const defineLuaScript = (name: string, source: string) => new LuaScript(name, source)
