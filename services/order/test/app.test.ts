import { afterAll, describe, expect, test } from 'bun:test'
import { connect } from '@flash-deal/db'
import { createKafka, kafkaProbe } from '@flash-deal/kit/kafka'
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
import { createApp as createOrderApp } from '../src/app'
import { createApp, testReconciler } from './support'

const logger = recordingLogger()
const sql = connect(testEnv.databaseUrl, { max: 2 })
const redis = createRedis(testEnv.redisUrl, logger)
const kafka = kafkaProbe(
  createKafka({ clientId: 'order-test', brokers: testEnv.kafkaBrokers, logger }),
)
const { verifier, tokenFor } = await testTokens()
const noKafka = kafkaProbe(
  createKafka({ clientId: 'order-test-dead', brokers: [deadUrls.kafka], logger }),
)

afterAll(async () => {
  await Promise.all([sql.end(), closeRedis(redis), kafka.close(), noKafka.close()])
})

describe('order service', () => {
  /** GET /health/ready of an app whose Kafka check is `kafkaReady`. */
  const readiness = (kafkaReady: typeof kafka.check) =>
    createApp({
      sql,
      redis,
      reconciler: testReconciler(sql, redis),
      kafkaReady,
      logger,
      verifier,
    }).handle(new Request('http://localhost/health/ready'))

  test('is ready when Postgres, Redis and Kafka answer', async () => {
    const response = await readiness(kafka.check)
    expect(await response.json()).toMatchObject({
      status: 'ok',
      checks: { postgres: 'ok', redis: 'ok', kafka: 'ok' },
    })
  })

  test('is not ready when Kafka is unreachable, and says which', async () => {
    const response = await readiness(noKafka.check)
    expect(response.status).toBe(503)
    expect((await response.json()).down).toEqual(['kafka'])
  })
})

describe('only the gateway may call /v1 (internal authentication)', () => {
  const direct = (mode: 'async' | 'sync') =>
    createOrderApp({
      sql,
      redis,
      reconciler: testReconciler(sql, redis),
      kafkaReady: kafka.check,
      logger,
      verifier,
      mode,
      internalAuth: internalAuthFor('order'),
    })

  test.each([
    'GET /v1/orders',
    'GET /v1/orders/0193a6f2-3b4c-7d5e-8f90-123456789abc',
    'POST /v1/deals/0193a6f2-3b4c-7d5e-8f90-123456789abc/purchase',
  ])('a direct %s without a valid internal token is 401 problem+json', async (route) => {
    const [method, path] = route.split(' ') as [string, string]
    const app = direct('sync')
    for (const [label, token] of await refusedInternalTokens('order')) {
      const response = await app.handle(
        new Request(`http://localhost${path}`, {
          method,
          headers: {
            'content-type': 'application/json',
            'idempotency-key': 'direct-1',
            authorization: `Bearer ${await tokenFor('customer')}`,
            ...(token ? { 'x-internal-token': token } : {}),
          },
          body: method === 'POST' ? '{"quantity":1}' : undefined,
        }),
      )
      expect({ label, status: response.status }).toEqual({ label, status: 401 })
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      expect((await response.json()).type).toBe('urn:flash-deal:problem:internal-auth-required')
    }
  })

  test('the purchase route exists only in sync mode, even for the gateway', async () => {
    const purchase = async (mode: 'async' | 'sync') =>
      direct(mode).handle(
        new Request('http://localhost/v1/deals/0193a6f2-3b4c-7d5e-8f90-123456789abc/purchase', {
          method: 'POST',
          headers: {
            ...(await internalHeaders('order')),
            'content-type': 'application/json',
            'idempotency-key': 'mode-1',
            authorization: `Bearer ${await tokenFor('customer')}`,
          },
          body: '{"quantity":1}',
        }),
      )
    expect((await purchase('async')).status).toBe(404)
    // Sync: the route is there (no such deal is its own 404 problem, not the router's).
    const sync = await purchase('sync')
    expect(sync.status).toBe(404)
    expect((await sync.json()).detail).not.toBe('No route matches this method and path')
    const asyncDocument = await (
      await direct('async').handle(new Request('http://localhost/swagger/json'))
    ).json()
    expect(Object.keys(asyncDocument.paths)).not.toContain('/v1/deals/{id}/purchase')
  })

  test('health and Swagger stay open without a token', async () => {
    for (const path of ['/health/live', '/health/ready', '/swagger/json']) {
      expect((await direct('async').handle(new Request(`http://localhost${path}`))).status).toBe(
        200,
      )
    }
  })
})
