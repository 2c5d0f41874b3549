/** What the product tests share: the stores, and the app as the gateway reaches it. */
import { connect } from '@flash-deal/db'
import { createRedis } from '@flash-deal/kit/redis'
import { internalAuthFor, recordingLogger, testEnv, viaGateway } from '@flash-deal/testing'
import { createApp as createProductApp, type ProductDeps } from '../src/app'

/**
 * The product app with the run's internal secret, every request carrying the gateway's internal
 * token — the way every `/v1` request reaches it in production.
 */
export const createApp = (deps: Omit<ProductDeps, 'internalAuth'>) =>
  viaGateway(createProductApp({ ...deps, internalAuth: internalAuthFor('product') }), 'product')

/** The real Postgres and Redis of the run, a recording logger, and `close` for afterAll. */
export function productTestStores(options: { maxConnections?: number } = {}) {
  const logger = recordingLogger()
  const sql = connect(testEnv.databaseUrl, { max: options.maxConnections ?? 4 })
  const redis = createRedis(testEnv.redisUrl, logger)
  return {
    logger,
    sql,
    redis,
    async close() {
      await sql.end()
      redis.disconnect()
    },
  }
}
