/**
 * OrderReleased on the real Kafka: the release outbox published by the ReleasePublisher and read
 * back by a consumer, at least once — a send that fails leaves the rows to be sent again, a
 * published row is not sent twice.
 */
import { afterAll, expect, test } from 'bun:test'
import { decodeOrderReleased } from '@flash-deal/contracts'
import { queries } from '@flash-deal/db'
import { ReleasePublisher } from '../../src/checkout/release-events'
import { dropTopics, freshTopics, kafka, readTopic } from '../kafka-support'
import { checkoutBed } from './bed'

const bed = await checkoutBed()
const { sql, buyer, liveDeal, accept, dueIn, releaser, logger } = bed
const [topic] = (await freshTopics('released')) as [string]
const producer = kafka.producer({ allowAutoTopicCreation: false })
await producer.connect()
afterAll(async () => {
  await producer.disconnect()
  await dropTopics([topic])
  await bed.close()
})

const publisherWith = (withProducer: typeof producer) =>
  new ReleasePublisher({ sql, producer: withProducer, logger, intervalMs: 0, topic })

/** Publishes until the outbox has nothing left to send (rows of other tests included). */
async function drain(publisher: ReleasePublisher) {
  let published = 0
  for (let batch = await publisher.publishOnce(); batch > 0; batch = await publisher.publishOnce())
    published += batch
  return published
}

const unpublished = async (dealId: string) =>
  (await queries.dealCheckoutTotals(sql, { dealId }))?.unpublished

test('an expiry and a cancellation reach orders.released as OrderReleased v1, keyed by deal, once', async () => {
  const me = await buyer()
  const deal = await liveDeal()
  const expired = await accept(deal.id, me.id, 2)
  const cancelled = await accept(deal.id, me.id, 1)
  await dueIn(expired.orderId, -1000)
  await sql.begin(async (tx) => {
    await releaser.decide(tx, expired.orderId, 'expired')
    await releaser.decide(tx, cancelled.orderId, 'cancelled')
  })
  expect(await unpublished(deal.id)).toBe(2)

  // Kafka unreachable for this producer (never connected): the send fails, nothing is marked.
  const offline = kafka.producer()
  await expect(publisherWith(offline).publishOnce()).rejects.toThrow()
  expect(await unpublished(deal.id)).toBe(2)

  const published = await drain(publisherWith(producer))
  expect(published).toBeGreaterThanOrEqual(2)
  expect(await unpublished(deal.id)).toBe(0)
  // A second round has nothing to send: a published row is not sent again.
  expect(await drain(publisherWith(producer))).toBe(0)

  const mine = (await readTopic(topic, published))
    .map((message) => ({ key: message.key?.toString(), event: decodeOrderReleased(message.value) }))
    .filter(({ event }) => event.ok && event.value.dealId === deal.id)
  expect(mine.length).toBe(2)
  expect(mine.every(({ key }) => key === deal.id)).toBe(true)
  const events = mine.map(({ event }) => (event.ok ? event.value : null))
  expect(events.find((e) => e?.orderId === expired.orderId)).toMatchObject({
    type: 'OrderReleased',
    version: 1,
    userId: me.id,
    quantity: 2,
    reason: 'expired',
  })
  expect(events.find((e) => e?.orderId === cancelled.orderId)).toMatchObject({
    quantity: 1,
    reason: 'cancelled',
  })
})

test('decodeOrderReleased says why a value is not an OrderReleased v1', () => {
  expect(decodeOrderReleased('{')).toEqual({ ok: false, reason: 'value is not JSON' })
  const wrong = decodeOrderReleased(JSON.stringify({ type: 'OrderReleased', version: 2 }))
  expect(wrong.ok).toBe(false)
})
