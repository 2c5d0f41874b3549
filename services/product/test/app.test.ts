import { afterAll, describe, expect, test } from 'bun:test'
import { connect } from '@flash-deal/db'
import { closeRedis, createRedis } from '@flash-deal/kit/redis'
import { recordingLogger, testEnv } from '@flash-deal/testing'
import { createApp } from '../src/app'

const logger = recordingLogger()
const sql = connect(testEnv.databaseUrl, { max: 2 })
const redis = createRedis(testEnv.redisUrl, logger)
const deadSql = connect('postgres://flashdeal:flashdeal@127.0.0.1:1/flashdeal', { max: 1 })

afterAll(async () => {
  await Promise.all([sql.end(), deadSql.end(), closeRedis(redis)])
})

describe('product service', () => {
  test('is ready when Postgres and Redis answer', async () => {
    const response = await createApp({ sql, redis, logger }).handle(
      new Request('http://localhost/health/ready'),
    )
    expect(response.status).toBe(200)
  })

  test('is not ready when Postgres is down, and says which', async () => {
    const response = await createApp({ sql: deadSql, redis, logger }).handle(
      new Request('http://localhost/health/ready'),
    )
    expect(response.status).toBe(503)
    expect((await response.json()).down).toEqual(['postgres'])
  })
})
