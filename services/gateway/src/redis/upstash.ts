import { Redis } from '@upstash/redis'
import type { RedisPort } from './port'

/** ioredis's `numkeys, key..., arg...` as Upstash's `[keys], [args]` (all strings). */
const split = (numKeys: number, keysAndArgs: (string | number)[]) =>
  [keysAndArgs.slice(0, numKeys).map(String), keysAndArgs.slice(numKeys).map(String)] as const

/**
 * The HTTP adapter (Upstash REST): `fetch` only, so it runs where no TCP socket can be opened.
 * Values are passed through as Redis returns them (no JSON decoding), so both adapters read and
 * write the same bytes; calls in the same tick are sent as one pipeline request.
 */
export class UpstashPort implements RedisPort {
  private readonly client: Redis

  constructor(options: { url: string; token: string }) {
    this.client = new Redis({
      url: options.url,
      token: options.token,
      automaticDeserialization: false,
      // Our values are ASCII; plain JSON answers also suit the local Upstash emulator, which
      // does not base64-encode responses.
      responseEncoding: false,
      enableAutoPipelining: true,
      // Fail closed quickly: a purchase waits for at most one retry, then answers 503.
      retry: { retries: 1, backoff: () => 50 },
    })
  }

  evalsha(sha: string, numKeys: number, ...keysAndArgs: (string | number)[]) {
    return this.client.evalsha(sha, ...split(numKeys, keysAndArgs))
  }

  eval(source: string, numKeys: number, ...keysAndArgs: (string | number)[]) {
    return this.client.eval(source, ...split(numKeys, keysAndArgs))
  }

  async zrangeByScoreFrom(key: string, min: number) {
    return (await this.client.zrange(key, min, '+inf', { byScore: true })).map(String)
  }

  async ping() {
    await this.client.ping()
  }

  async close() {}
}
