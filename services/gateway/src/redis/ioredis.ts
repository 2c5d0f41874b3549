import type { Logger } from '@flash-deal/kit'
import { closeRedis, createRedis, type Redis } from '@flash-deal/kit/redis'
import { isNoScript, type LuaScript, type RedisPort } from './port'

/**
 * The TCP adapter. ioredis auto-pipelines: the commands of all requests in flight go out in one
 * write, so a spike costs Redis few round trips. Commands fail fast while Redis is down (the kit's
 * client settings), which the purchase turns into 503.
 */
export function ioredisPort(url: string, logger: Logger): RedisPort & { client: Redis } {
  const client = createRedis(url, logger)
  return {
    client,
    async run(script: LuaScript, keys, args) {
      try {
        return await client.evalsha(script.sha, keys.length, ...keys, ...args)
      } catch (error) {
        if (!isNoScript(error)) throw error
        return await client.eval(script.source, keys.length, ...keys, ...args)
      }
    },
    zrangeByScoreFrom: (key, min) => client.zrangebyscore(key, min, '+inf'),
    async ping() {
      await client.ping()
    },
    close: () => closeRedis(client),
  }
}
