import { Redis } from '@upstash/redis'
import { isNoScript, type LuaScript, type RedisPort } from './port'

/**
 * The HTTP adapter (Upstash REST): `fetch` only, so it runs where no TCP socket can be opened.
 * Values are passed through as Redis returns them (no JSON decoding), so both adapters read and
 * write the same bytes; calls in the same tick are sent as one pipeline request.
 */
export function upstashPort(options: { url: string; token: string }): RedisPort {
  const client = new Redis({
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
  const strings = (values: readonly (string | number)[]) => values.map(String)
  return {
    async run(script: LuaScript, keys, args) {
      try {
        return await client.evalsha(script.sha, [...keys], strings(args))
      } catch (error) {
        if (!isNoScript(error)) throw error
        return await client.eval(script.source, [...keys], strings(args))
      }
    },
    async zrangeByScoreFrom(key, min) {
      return (await client.zrange(key, min, '+inf', { byScore: true })).map(String)
    },
    async ping() {
      await client.ping()
    },
    async close() {},
  }
}
