import { connect } from '@flash-deal/db'
import { createLogger, loadConfigOrExit, serve } from '@flash-deal/kit'
import { closeRedis, createRedis } from '@flash-deal/kit/redis'
import { createApp } from './app'
import { ProductConfig } from './config'

const config = loadConfigOrExit('product', ProductConfig)
const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'product' } })
const sql = connect(config.DATABASE_URL, { applicationName: 'product' })
const redis = createRedis(config.REDIS_URL, logger)

serve(createApp({ sql, redis, logger, maxBodyBytes: config.MAX_BODY_BYTES }), {
  config,
  logger,
  close: [
    { name: 'postgres', close: () => sql.end({ timeout: 5 }) },
    { name: 'redis', close: () => closeRedis(redis) },
  ],
})
