/**
 * Durable acceptance against the real Redis. The test Redis is one node without replicas, so
 * `WAIT 1` can never be met there: exactly the case of a primary whose replica does not confirm
 * in time. The purchase must then be a 503 (never a 202), and the retry with the same
 * Idempotency-Key must answer the reservation that stood, reserving nothing more.
 */
import { afterAll, expect, test } from 'bun:test'
import { telemetryOff } from '@flash-deal/kit'
import { createRedis } from '@flash-deal/kit/redis'
import { recordingLogger, testEnv } from '@flash-deal/testing'
import { ReservationService } from '../src/purchase/service'
import { IoredisPort } from '../src/redis/ioredis'
import { UpstashPort } from '../src/redis/upstash'
import { dealState, gatewayOn, publishDeal, purchaseRequest, tokens } from './purchase-support'

const redis = createRedis(testEnv.redisUrl, recordingLogger())
const port = new IoredisPort({ url: testEnv.redisUrl, logger: recordingLogger() })

afterAll(async () => {
  await port.close()
  redis.disconnect()
})

test('no replica confirms in time: 503 to retry with the same key, and the retry answers that order', async () => {
  const dealId = await publishDeal(redis, { stock: 10 })
  const token = await tokens.tokenFor('customer', { sub: crypto.randomUUID() })
  const waiting = await gatewayOn(port, { replicaWait: { replicas: 1, timeoutMs: 50 } })

  const refused = await waiting.app.handle(purchaseRequest(dealId, { token, key: 'k-1' }))
  expect(refused.status).toBe(503)
  expect(refused.headers.get('content-type')).toContain('application/problem+json')
  expect(((await refused.json()) as { detail: string }).detail).toContain('same Idempotency-Key')
  // The reservation stands on the primary: one unit taken, one outbox record.
  const held = await dealState(redis, dealId)
  expect(held.stock).toBe(9)
  expect(held.outbox.length).toBe(1)

  // Once replicas confirm (here: a gateway that does not wait), the retry is that same order.
  const direct = await gatewayOn(port)
  const retried = await direct.app.handle(purchaseRequest(dealId, { token, key: 'k-1' }))
  expect(retried.status).toBe(202)
  expect(retried.headers.get('idempotent-replayed')).toBe('true')
  const { orderId } = (await retried.json()) as { orderId: string }
  const after = await dealState(redis, dealId)
  expect(Object.keys(after.orders)).toEqual([orderId])
  expect(after.stock).toBe(9)
  expect(after.outbox.length).toBe(1)
})

test('a refusal needs no replica: sold out is 409 even while no replica confirms', async () => {
  const dealId = await publishDeal(redis, { stock: 0 })
  const token = await tokens.tokenFor('customer', { sub: crypto.randomUUID() })
  const waiting = await gatewayOn(port, { replicaWait: { replicas: 1, timeoutMs: 50 } })
  const response = await waiting.app.handle(purchaseRequest(dealId, { token }))
  expect(response.status).toBe(409)
})

test('the replica wait needs the ioredis adapter: the Upstash one is refused at start-up', () => {
  const upstash = new UpstashPort({ url: 'http://127.0.0.1:1', token: 'unused' })
  expect(
    () =>
      new ReservationService({
        redis: upstash,
        logger: recordingLogger(),
        telemetry: telemetryOff('gateway'),
        replicaWait: { replicas: 1, timeoutMs: 50 },
      }),
  ).toThrow('REDIS_WAIT_REPLICAS needs the ioredis adapter')
})
