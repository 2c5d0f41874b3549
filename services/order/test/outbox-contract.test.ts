/**
 * The outbox contract, pinned below the system test: the entry the real reserve.lua appends (run
 * through the kit's loader on the real Redis) is what the relay's decoder reads. Renaming a field
 * on either side, or dropping one, fails here.
 */
import { afterAll, expect, test } from 'bun:test'
import { createRedis } from '@flash-deal/kit/redis'
import { recordingLogger, testEnv } from '@flash-deal/testing'
import { decodeOutboxEntry } from '../src/relay/relay'
import { liveDeal, publishDeal, reserve } from './deal-state-fixtures'

const redis = createRedis(testEnv.redisUrl, recordingLogger())
afterAll(() => redis.disconnect())

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

test("reserve.lua's outbox entry decodes to the OrderAccepted of the purchase, trace context included", async () => {
  const deal = await publishDeal(redis, liveDeal({ price: 12_345 }))
  const before = Date.now()
  const { reservation, reply, entryFields } = await reserve(redis, {
    dealId: deal.id,
    quantity: 2,
    idempotencyKey: 'key-contract-1',
    traceparent,
  })
  const after = Date.now()
  expect(reply).toEqual({ outcome: 'accepted', orderId: reservation.orderId, value: 12_345 })

  const { decoded } = decodeOutboxEntry(entryFields)
  if (!decoded.ok) throw new Error(`the relay refused reserve.lua's entry: ${decoded.reason}`)
  expect(decoded.value).toEqual({
    event: {
      type: 'OrderAccepted',
      version: 1,
      orderId: reservation.orderId,
      dealId: deal.id,
      userId: reservation.userId,
      quantity: 2,
      unitPrice: 12_345,
      idempotencyKey: 'key-contract-1',
      acceptedAt: expect.any(String),
    },
    traceparent,
  })
  // Redis's clock at the reservation, on this machine the tests' clock too.
  const acceptedAt = Date.parse(decoded.value.event.acceptedAt)
  expect(acceptedAt).toBeGreaterThanOrEqual(before - 1000)
  expect(acceptedAt).toBeLessThanOrEqual(after + 1000)
})

test('a purchase without trace context: the entry decodes with no traceparent, not an empty one', async () => {
  const deal = await publishDeal(redis, liveDeal())
  const { entryFields, reservation } = await reserve(redis, { dealId: deal.id, traceparent: '' })
  const { decoded } = decodeOutboxEntry(entryFields)
  expect(decoded).toEqual({
    ok: true,
    value: {
      event: expect.objectContaining({ orderId: reservation.orderId }),
      traceparent: undefined,
    },
  })
})

test('the entry carries nothing the decoder leaves behind', async () => {
  const deal = await publishDeal(redis, liveDeal())
  const { entry } = await reserve(redis, { dealId: deal.id, traceparent })
  // Every field reserve.lua writes is one the relay reads into the event (or its trace header):
  // a field added to the script fails here until the event and the decoder carry it too.
  expect(Object.keys(entry).sort()).toEqual(
    [
      'acceptedAtMs',
      'dealId',
      'idempotencyKey',
      'orderId',
      'quantity',
      'traceparent',
      'unitPrice',
      'userId',
    ].sort(),
  )
})
