import { createLogger, createTelemetry, loadConfigOrExit, serve } from '@flash-deal/kit'
import { composeGateway } from './compose'
import { GatewayConfig } from './config'
import { IoredisPort } from './redis/ioredis'
import type { RedisPort } from './redis/port'
import { UpstashPort } from './redis/upstash'

const config = loadConfigOrExit('gateway', GatewayConfig)
const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'gateway' } })
const telemetry = createTelemetry({ serviceName: 'gateway', logger })

function redisPort(): RedisPort {
  if (config.REDIS_DRIVER === 'ioredis')
    return new IoredisPort({
      url: config.REDIS_URL,
      logger,
      clusterNodes: config.REDIS_CLUSTER_NODES,
    })
  if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN) {
    logger.error('REDIS_DRIVER=upstash needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN')
    process.exit(78)
  }
  return new UpstashPort({
    url: config.UPSTASH_REDIS_REST_URL,
    token: config.UPSTASH_REDIS_REST_TOKEN,
  })
}

const redis = redisPort()
logger.info('purchase path', { orderMode: config.ORDER_MODE, redisDriver: config.REDIS_DRIVER })

const app = composeGateway(config, { logger, telemetry, redis })

serve(app, {
  config,
  logger,
  telemetry,
  close: [{ name: 'redis', close: () => redis.close() }],
})
