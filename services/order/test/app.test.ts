import { afterAll, describe, expect, test } from 'bun:test'
import { connect } from '@flash-deal/db'
import { createKafka, kafkaProbe } from '@flash-deal/kit/kafka'
import { closeRedis, createRedis } from '@flash-deal/kit/redis'
import { recordingLogger, testEnv, testTokens } from '@flash-deal/testing'
import { createApp } from '../src/app'
import { testReconciler } from './support'

const logger = recordingLogger()
const sql = connect(testEnv.databaseUrl, { max: 2 })
const redis = createRedis(testEnv.redisUrl, logger)
const kafka = kafkaProbe(
  createKafka({ clientId: 'order-test', brokers: testEnv.kafkaBrokers, logger }),
)
const { verifier } = await testTokens()
const noKafka = kafkaProbe(
  createKafka({ clientId: 'order-test-dead', brokers: ['127.0.0.1:1'], logger }),
)

afterAll(async () => {
  await Promise.all([sql.end(), closeRedis(redis), kafka.close(), noKafka.close()])
})

describe('order service', () => {
  test('is ready when Postgres, Redis and Kafka answer', async () => {
    const app = createApp({
      sql,
      redis,
      reconciler: testReconciler(sql, redis),
      kafkaReady: kafka.check,
      logger,
      verifier,
    })
    const response = await app.handle(new Request('http://localhost/health/ready'))
    expect(await response.json()).toMatchObject({
      status: 'ok',
      checks: { postgres: 'ok', redis: 'ok', kafka: 'ok' },
    })
  })

  test('is not ready when Kafka is unreachable, and says which', async () => {
    const app = createApp({
      sql,
      redis,
      reconciler: testReconciler(sql, redis),
      kafkaReady: noKafka.check,
      logger,
      verifier,
    })
    const response = await app.handle(new Request('http://localhost/health/ready'))
    expect(response.status).toBe(503)
    expect((await response.json()).down).toEqual(['kafka'])
  })
})
