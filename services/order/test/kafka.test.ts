/**
 * kafkajs on Bun against the real broker: topics are created by the project (the broker has
 * auto-create off), a keyed batch with headers is produced with the idempotent producer and
 * acks=all, and a consumer group reads it back in order.
 */
import { afterAll, expect, test } from 'bun:test'
import { ORDERS_ACCEPTED, ORDERS_DLQ, ORDERS_RELEASED } from '@flash-deal/contracts'
import { createKafka, ensureTopics } from '@flash-deal/kit/kafka'
import { recordingLogger, testEnv, uniqueSuffix } from '@flash-deal/testing'

const logger = recordingLogger()
const kafka = createKafka({ clientId: 'kafka-it', brokers: testEnv.kafkaBrokers, logger })
const topic = `it.kafka.${uniqueSuffix()}`

afterAll(async () => {
  const admin = kafka.admin()
  await admin.connect()
  await admin.deleteTopics({ topics: [topic] }).catch(() => {})
  await admin.disconnect()
})

test('the project topics exist', async () => {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const topics = await admin.listTopics()
    expect(topics).toContain(ORDERS_ACCEPTED)
    expect(topics).toContain(ORDERS_DLQ)
    expect(topics).toContain(ORDERS_RELEASED)
  } finally {
    await admin.disconnect()
  }
})

test('the broker does not auto-create topics', async () => {
  const producer = kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 1 } })
  await producer.connect()
  try {
    await expect(
      producer.send({
        topic: `it.never-created.${uniqueSuffix()}`,
        messages: [{ value: 'x' }],
        timeout: 2000,
      }),
    ).rejects.toThrow()
  } finally {
    await producer.disconnect()
  }
})

test('produces and consumes through the real broker', async () => {
  expect(await ensureTopics(kafka, [{ topic, numPartitions: 3, replicationFactor: 1 }])).toEqual([
    topic,
  ])
  expect(await ensureTopics(kafka, [{ topic, numPartitions: 3, replicationFactor: 1 }])).toEqual([])

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const sent = Array.from({ length: 20 }, (_, i) => ({
    key: 'deal-1',
    value: JSON.stringify({ seq: i }),
    headers: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
  }))
  await producer.send({ topic, acks: -1, messages: sent })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: `it-${uniqueSuffix()}` })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const received: { seq: number; key: string; traceparent: string }[] = []
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        received.push({
          seq: JSON.parse(String(message.value)).seq,
          key: String(message.key),
          traceparent: String(message.headers?.traceparent),
        })
        if (received.length === sent.length) resolve()
      },
    })
  })
  await Promise.race([done, Bun.sleep(20_000)])
  await consumer.disconnect()

  // One key, so one partition, so the order of production is kept.
  expect(received.map((message) => message.seq)).toEqual(sent.map((_, i) => i))
  expect(new Set(received.map((message) => message.key))).toEqual(new Set(['deal-1']))
  expect(received[0]?.traceparent).toStartWith('00-aaaa')
}, 40_000)
