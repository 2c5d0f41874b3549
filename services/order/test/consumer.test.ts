/**
 * The order consumer against the real Postgres and Kafka: it commits offsets only after the
 * batch transaction (`applyOrders`, apply-orders.test.ts) and dead-letters what can never apply.
 */
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test'
import { connect, queries } from '@flash-deal/db'
import {
  deadUrls,
  recordingLogger,
  recordingMetrics,
  recordingTelemetry,
  testEnv,
  uniqueSuffix,
} from '@flash-deal/testing'
import { v7 as uuidv7 } from 'uuid'
import { type BatchStats, Consumer } from '../src/consumer/consumer'
import { dropTopics, freshTopics, header, kafka, readTopic } from './kafka-support'
import { accepted } from './order-events'
import { fixtures } from './support'

setDefaultTimeout(60_000)
const sql = connect(testEnv.databaseUrl)
const { user, deal, stockRemaining } = fixtures(sql)
const [topic, dlqTopic] = (await freshTopics('accepted', 'dlq')) as [string, string]

afterAll(async () => {
  await dropTopics([topic, dlqTopic])
  await sql.end()
})

const statusOf = async (orderId: string) => (await queries.getOrder(sql, { id: orderId }))?.status

test('the consumer applies records, dead-letters poison with the reason, commits offsets and counts them', async () => {
  const { id: dealId } = await deal({ stock: 10 })
  const buyer = await user()
  const good = [accepted(dealId, buyer.id), accepted(dealId, buyer.id, 2)]
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  await producer.send({
    topic,
    acks: -1,
    messages: [
      ...good.map((event) => ({ key: dealId, value: JSON.stringify(event) })),
      // Redelivered (the relay crashed between produce and acknowledgement).
      { key: dealId, value: JSON.stringify(good[0]) },
      { key: dealId, value: 'not json' },
      { key: dealId, value: JSON.stringify({ ...good[0], orderId: uuidv7(), quantity: 0 }) },
      { key: dealId, value: JSON.stringify(accepted(crypto.randomUUID(), buyer.id)) },
    ],
  })
  await producer.disconnect()

  const groupId = `it-consumer-${uniqueSuffix()}`
  const totals: BatchStats = { confirmed: 0, rejected: 0, duplicates: 0, deadLettered: 0 }
  const metrics = recordingMetrics('order-consumer')
  const orders = new Consumer({
    kafka,
    sql,
    logger: recordingLogger(),
    groupId,
    topic,
    dlqTopic,
    telemetry: metrics.telemetry,
  })
  orders.onBatch((stats) => {
    for (const k of Object.keys(totals) as (keyof BatchStats)[]) totals[k] += stats[k]
  })
  await orders.start()
  for (let i = 0; i < 200 && totals.confirmed + totals.duplicates + totals.deadLettered < 6; i++)
    await Bun.sleep(100)
  await orders.stop()

  expect(totals).toEqual({ confirmed: 2, rejected: 0, duplicates: 1, deadLettered: 3 })
  const recorded = async (outcome: string) =>
    metrics.value('flash_deal.consumer.records', { outcome })
  expect(await recorded('confirmed')).toBe(2)
  expect(await recorded('duplicate')).toBe(1)
  expect(await recorded('dead_lettered')).toBe(3)
  expect(await recorded('rejected')).toBe(0)
  const [sizes] = await metrics.points('flash_deal.consumer.batch.size')
  // Every record was in exactly one measured batch.
  expect(sizes?.attributes).toEqual({ 'messaging.destination.name': topic })
  expect(typeof sizes?.value === 'object' && sizes.value.sum).toBe(6)
  expect(await stockRemaining(dealId)).toBe(7)
  // Applied means in Postgres, confirmed: from now on the order is read from there.
  for (const event of good)
    expect((await queries.getOrder(sql, { id: event.orderId }))?.status).toBe('confirmed')
  const dead = await readTopic(dlqTopic, 3)
  expect(dead.map((m) => header(m, 'dlq-reason')).sort()).toEqual(
    [
      'value is not JSON',
      expect.stringContaining('/quantity'),
      expect.stringContaining('unknown deal'),
    ].sort() as never,
  )
  for (const message of dead) expect(header(message, 'dlq-source-topic')).toBe(topic)

  const admin = kafka.admin()
  await admin.connect()
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] })
  const ends = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  // A partition the group never read has no committed offset (-1).
  const committed = offsets[0]?.partitions.reduce(
    (sum, p) => sum + Math.max(0, Number(p.offset)),
    0,
  )
  expect(committed).toBe(ends.reduce((sum, p) => sum + Number(p.high), 0))
})

test('Postgres unreachable: the batch is retried, never skipped, and applies once Postgres answers', async () => {
  const { id: dealId } = await deal({ stock: 10 })
  const event = accepted(dealId, (await user()).id)
  const [ownTopic] = (await freshTopics('pg-down')) as [string]
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic: ownTopic,
    acks: -1,
    messages: [{ key: dealId, value: JSON.stringify(event) }],
  })
  await producer.disconnect()
  const groupId = `it-consumer-${uniqueSuffix()}`

  const deadSql = connect(deadUrls.postgres)
  const logger = recordingLogger()
  const blocked = new Consumer({
    kafka,
    sql: deadSql,
    logger,
    groupId,
    topic: ownTopic,
    dlqTopic,
    maxBackoffMs: 200,
  })
  let batches = 0
  blocked.onBatch(() => batches++)
  await blocked.start()
  for (
    let i = 0;
    i < 100 &&
    logger.lines.filter((l) => l.msg?.toString().startsWith('batch not applied')).length < 3;
    i++
  )
    await Bun.sleep(100)
  await blocked.stop()
  await deadSql.end()
  expect(batches).toBe(0)
  expect(
    logger.lines.filter((l) => String(l.msg).startsWith('batch not applied')).length,
  ).toBeGreaterThanOrEqual(3)
  expect(await statusOf(event.orderId)).toBeUndefined()

  // The offsets were not committed: the next consumer of the group gets the record again.
  const healthy = new Consumer({
    kafka,
    sql,
    logger: recordingLogger(),
    groupId,
    topic: ownTopic,
    dlqTopic,
  })
  healthy.onBatch(() => batches++)
  await healthy.start()
  for (let i = 0; i < 200 && batches === 0; i++) await Bun.sleep(100)
  await healthy.stop()
  await dropTopics([ownTopic])
  expect(await statusOf(event.orderId)).toBe('confirmed')
  expect(await stockRemaining(dealId)).toBe(9)
})

test('traced: the batch continues the record trace down to its Postgres statements', async () => {
  const { id: dealId } = await deal({ stock: 10 })
  const buyer = await user()
  const [ownTopic] = (await freshTopics('traced')) as [string]
  const purchases = ['a', 'b'].map((digit) => ({
    event: accepted(dealId, buyer.id),
    traceId: digit.repeat(32),
    traceparent: `00-${digit.repeat(32)}-${'c'.repeat(16)}-01`,
  }))
  const producer = kafka.producer()
  await producer.connect()
  // One purchase alone first (a batch of one), then the other.
  for (const { event, traceparent } of purchases) {
    await producer.send({
      topic: ownTopic,
      messages: [{ key: dealId, value: JSON.stringify(event), headers: { traceparent } }],
    })
  }
  await producer.disconnect()

  const { telemetry, spans } = recordingTelemetry('order-consumer')
  const orders = new Consumer({
    kafka,
    sql,
    logger: recordingLogger(),
    groupId: `it-traced-${uniqueSuffix()}`,
    topic: ownTopic,
    dlqTopic,
    telemetry,
  })
  let confirmed = 0
  orders.onBatch((stats) => {
    confirmed += stats.confirmed
  })
  await orders.start()
  for (let i = 0; i < 200 && confirmed < 2; i++) await Bun.sleep(100)
  await orders.stop()
  await dropTopics([ownTopic])
  expect(confirmed).toBe(2)

  const finished = await spans()
  for (const { traceId } of purchases) {
    // Whatever the batching, each purchase trace has a consumer span continuing its record.
    const process = finished.find(
      (span) =>
        span.name === `process ${ownTopic}` &&
        span.spanContext().traceId === traceId &&
        span.parentSpanContext?.spanId === 'c'.repeat(16),
    )
    expect(process?.attributes['messaging.destination.name']).toBe(ownTopic)
  }
  const batches = finished.filter((s) => s.attributes['messaging.batch.message_count'])
  const transactions = finished.filter((span) => span.name === 'transaction')
  expect(transactions.length).toBe(batches.length)
  for (const transaction of transactions) {
    expect(transaction.attributes['db.system']).toBe('postgresql')
    const batch = batches.find(
      (b) => b.spanContext().spanId === transaction.parentSpanContext?.spanId,
    )
    expect(batch).toBeDefined()
    const statements = finished
      .filter((span) => span.parentSpanContext?.spanId === transaction.spanContext().spanId)
      .map((span) => span.name)
    expect(statements).toEqual(['LockBatchState', 'InsertOrders'])
  }
  // A batch of one is in its purchase's trace: the Postgres write is on that trace.
  const single = batches.find((b) => b.attributes['messaging.batch.message_count'] === 1)
  if (single) expect(purchases.map((p) => p.traceId)).toContain(single.spanContext().traceId)
})
