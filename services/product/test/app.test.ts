import { afterAll, describe, expect, test } from 'bun:test'
import { connect } from '@flash-deal/db'
import { closeRedis, createRedis } from '@flash-deal/kit/redis'
import { recordingLogger, testEnv, testTokens } from '@flash-deal/testing'
import { createApp } from '../src/app'
import { rdbProductRepository } from '../src/repository/rdb'

const logger = recordingLogger()
const sql = connect(testEnv.databaseUrl, { max: 2 })
const redis = createRedis(testEnv.redisUrl, logger)
const deadSql = connect('postgres://flashdeal:flashdeal@127.0.0.1:1/flashdeal', { max: 1 })
const { verifier } = await testTokens()

afterAll(async () => {
  await Promise.all([sql.end(), deadSql.end(), closeRedis(redis)])
})

const appOn = (db: typeof sql) =>
  createApp({ sql: db, redis, logger, verifier, products: rdbProductRepository(db) })

describe('product service', () => {
  test('is ready when Postgres and Redis answer', async () => {
    const response = await appOn(sql).handle(new Request('http://localhost/health/ready'))
    expect(response.status).toBe(200)
  })

  test('is not ready when Postgres is down, and says which', async () => {
    const response = await appOn(deadSql).handle(new Request('http://localhost/health/ready'))
    expect(response.status).toBe(503)
    expect((await response.json()).down).toEqual(['postgres'])
  })
})
