import type { Logger } from '@flash-deal/kit'
import { closeRedis, createRedis, type Redis } from '@flash-deal/kit/redis'
import type { RedisPort } from './port'

/**
 * The TCP adapter. ioredis auto-pipelines: the commands of all requests in flight go out in one
 * write, so a spike costs Redis few round trips. Commands fail fast while Redis is down (the kit's
 * client settings), which the purchase turns into 503.
 */
export function ioredisPort(url: string, logger: Logger): RedisPort & { client: Redis } {
  const client = createRedis(url, logger)
  return {
    client,
    evalsha: (sha, numKeys, ...keysAndArgs) => client.evalsha(sha, numKeys, ...keysAndArgs),
    eval: (source, numKeys, ...keysAndArgs) => client.eval(source, numKeys, ...keysAndArgs),
    zrangeByScoreFrom: (key, min) => client.zrangebyscore(key, min, '+inf'),
    async ping() {
      await client.ping()
    },
    close: () => closeRedis(client),
  }
}
