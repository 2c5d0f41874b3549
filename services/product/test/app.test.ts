import { afterAll, describe, expect, test } from 'bun:test'
import { connect } from '@flash-deal/db'
import { closeRedis, createRedis } from '@flash-deal/kit/redis'
import {
  deadUrls,
  internalAuthFor,
  internalHeaders,
  recordingLogger,
  refusedInternalTokens,
  testEnv,
  testTokens,
} from '@flash-deal/testing'
import { createApp as createProductApp } from '../src/app'
import { RdbProductRepository } from '../src/repository/rdb'
import { createApp } from './support'

const logger = recordingLogger()
const sql = connect(testEnv.databaseUrl, { max: 2 })
const redis = createRedis(testEnv.redisUrl, logger)
const deadSql = connect(deadUrls.postgres, { max: 1 })
const { verifier, tokenFor } = await testTokens()

afterAll(async () => {
  await Promise.all([sql.end(), deadSql.end(), closeRedis(redis)])
})

const appOn = (db: typeof sql) =>
  createApp({ sql: db, redis, logger, verifier, products: new RdbProductRepository({ sql: db }) })

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

describe('only the gateway may call /v1 (internal authentication)', () => {
  const direct = createProductApp({
    sql,
    redis,
    logger,
    verifier,
    products: new RdbProductRepository({ sql }),
    internalAuth: internalAuthFor('product'),
  })

  test.each(['GET /v1/products', 'GET /v1/deals', 'POST /v1/products'])(
    'a direct %s without a valid internal token is 401 problem+json',
    async (route) => {
      const [method, path] = route.split(' ') as [string, string]
      for (const [label, token] of await refusedInternalTokens('product')) {
        const response = await direct.handle(
          new Request(`http://localhost${path}`, {
            method,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${await tokenFor('admin')}`,
              ...(token ? { 'x-internal-token': token } : {}),
            },
            body:
              method === 'POST'
                ? JSON.stringify({ name: 'x', price: 1, currency: 'USD' })
                : undefined,
          }),
        )
        expect({ label, status: response.status }).toEqual({ label, status: 401 })
        expect(response.headers.get('content-type')).toBe('application/problem+json')
        expect((await response.json()).type).toBe('urn:flash-deal:problem:internal-auth-required')
      }
    },
  )

  test('with the gateway token it answers; health and Swagger stay open without one', async () => {
    const listed = await direct.handle(
      new Request('http://localhost/v1/products', { headers: await internalHeaders('product') }),
    )
    expect(listed.status).toBe(200)
    for (const path of ['/health/live', '/health/ready', '/swagger/json']) {
      expect((await direct.handle(new Request(`http://localhost${path}`))).status).toBe(200)
    }
  })
})
