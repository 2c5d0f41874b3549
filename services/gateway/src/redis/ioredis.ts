import type { Logger } from '@flash-deal/kit'
import { closeRedis, createRedis, type Redis } from '@flash-deal/kit/redis'
import type { RedisPort } from './port'

/**
 * The TCP adapter. ioredis auto-pipelines: the commands of all requests in flight go out in one
 * write, so a spike costs Redis few round trips. Commands fail fast while Redis is down (the kit's
 * client settings), which the purchase turns into 503.
 */
export class IoredisPort implements RedisPort {
  readonly client: Redis

  constructor(options: { url: string; logger: Logger }) {
    this.client = createRedis(options.url, options.logger)
  }

  evalsha(sha: string, numKeys: number, ...keysAndArgs: (string | number)[]) {
    return this.client.evalsha(sha, numKeys, ...keysAndArgs)
  }

  eval(source: string, numKeys: number, ...keysAndArgs: (string | number)[]) {
    return this.client.eval(source, numKeys, ...keysAndArgs)
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
