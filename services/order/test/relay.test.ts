/**
 * The outbox relay against the real Redis and Kafka: entries become Kafka records (key = deal,
 * traceparent header, OrderAccepted v1 value) and leave the stream only once Kafka has them;
 * a failed produce leaves them in Redis for the next round; entries a dead relay held are taken
 * over; a malformed entry goes to the dead-letter topic.
 */
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test'
import {
  dealBuyersKey,
  dealIdempotencyKey,
  dealInfoKey,
  dealKeys,
  dealOutboxKey,
  dealPurchaseStateKeys,
  decodeOrderAccepted,
  idempotencyField,
  idempotencyRecord,
  OUTBOX_GROUP,
} from '@flash-deal/contracts'
import { createKafka } from '@flash-deal/kit/kafka'
import { createRedis } from '@flash-deal/kit/redis'
import {
  deadUrls,
  recordingLogger,
  recordingMetrics,
  recordingTelemetry,
  testEnv,
  uniqueSuffix,
} from '@flash-deal/testing'
import { Relay, type RelayOptions } from '../src/relay/relay'
import { liveDeal, publishDeal, reserve } from './deal-state-fixtures'
import { dropTopics, freshTopics, header, kafka, readTopic } from './kafka-support'

setDefaultTimeout(30_000)
const redis = createRedis(testEnv.redisUrl, recordingLogger())
const [topic, dlqTopic] = (await freshTopics('accepted', 'dlq')) as [string, string]
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
await producer.connect()

afterAll(async () => {
  await producer.disconnect()
  await dropTopics([topic, dlqTopic])
  redis.disconnect()
})

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

/** One purchase reserved by the real reserve.lua (its outbox entry); returns its order id. */
async function appendEntry(dealId: string, index: number) {
  const { reservation } = await reserve(redis, {
    dealId,
    idempotencyKey: `key-${index}`,
    traceparent,
  })
  return reservation.orderId
}

/** A live deal published as the product service does, with `count` purchases in its outbox. */
async function outboxWith(count: number) {
  const registryKey = `it:outbox-registry:${uniqueSuffix()}`
  const { id: dealId } = await publishDeal(redis, liveDeal())
  await redis.sadd(registryKey, dealId)
  const orderIds: string[] = []
  for (let i = 0; i < count; i++) orderIds.push(await appendEntry(dealId, i))
  return { registryKey, dealId, orderIds }
}

const relayOn = (registryKey: string, extra: Partial<RelayOptions> = {}) =>
  new Relay({
    redis,
    producer,
    logger: recordingLogger(),
    consumerName: `it-${uniqueSuffix()}`,
    topic,
    dlqTopic,
    registryKey,
    blockMs: 50,
    ...extra,
  })

async function drain(relay: Relay, expected: number) {
  let moved = 0
  for (let round = 0; round < 50 && moved < expected; round++) moved += await relay.relayOnce()
  return moved
}

test('entries go to Kafka keyed by deal with their trace context, then leave the stream', async () => {
  const { registryKey, dealId, orderIds } = await outboxWith(5)
  expect(await drain(relayOn(registryKey), 5)).toBe(5)

  expect(await redis.xlen(dealOutboxKey(dealId))).toBe(0)
  const unacknowledged = (await redis.xpending(dealOutboxKey(dealId), OUTBOX_GROUP)) as [number]
  expect(unacknowledged[0]).toBe(0)

  const messages = (await readTopic(topic, 5)).filter((m) => m.key?.toString() === dealId)
  expect(messages).toHaveLength(5)
  for (const message of messages) {
    expect(header(message, 'traceparent')).toBe(traceparent)
    const decoded = decodeOrderAccepted(message.value)
    expect(decoded.ok).toBe(true)
  }
  const relayed = messages.map((m) => JSON.parse(m.value?.toString() ?? '{}').orderId)
  expect(relayed.sort()).toEqual([...orderIds].sort())
})

test('traced: one produce span per record continues its purchase; the header carries it on', async () => {
  const { registryKey, dealId } = await outboxWith(2)
  const { telemetry, spans } = recordingTelemetry('order-relay')
  expect(await drain(relayOn(registryKey, { telemetry }), 2)).toBe(2)

  const produced = (await spans()).filter((span) => span.name === `send ${topic}`)
  expect(produced).toHaveLength(2)
  const messages = (await readTopic(topic, 7)).filter((m) => m.key?.toString() === dealId)
  expect(messages).toHaveLength(2)
  for (const span of produced) {
    // The purchase's trace and its reservation span (the outbox traceparent) as the parent.
    expect(span.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    expect(span.parentSpanContext?.spanId).toBe('00f067aa0ba902b7')
    expect(span.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'messaging.batch.message_count': 2,
    })
  }
  const headers = messages.map((m) => header(m, 'traceparent')).sort()
  const expected = produced
    .map((span) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`)
    .sort()
  expect(headers).toEqual(expected)
})

test('Kafka unreachable: the round fails and the entries stay in Redis; a restart relays them', async () => {
  const { registryKey, dealId, orderIds } = await outboxWith(3)
  const deadKafka = createKafka({
    clientId: 'it-dead',
    brokers: [deadUrls.kafka],
    logger: recordingLogger(),
  })
  const deadProducer = deadKafka.producer({ retry: { retries: 0 } })
  const name = `it-${uniqueSuffix()}`
  const failing = relayOn(registryKey, { producer: deadProducer, consumerName: name })
  await expect(failing.relayOnce()).rejects.toThrow()
  expect(await redis.xlen(dealOutboxKey(dealId))).toBe(3)

  // The same relay name after a restart first re-reads what it held unacknowledged.
  expect(await drain(relayOn(registryKey, { consumerName: name }), 3)).toBe(3)
  expect(await redis.xlen(dealOutboxKey(dealId))).toBe(0)
  const relayed = (await readTopic(topic, 8))
    .filter((m) => m.key?.toString() === dealId)
    .map((m) => JSON.parse(m.value?.toString() ?? '{}').orderId)
  expect(relayed.sort()).toEqual([...orderIds].sort())
})

test('entries a dead relay held are taken over after the idle time', async () => {
  const { registryKey, dealId } = await outboxWith(2)
  const key = dealOutboxKey(dealId)
  await redis.xgroup('CREATE', key, OUTBOX_GROUP, '0', 'MKSTREAM')
  // A relay read them and died before producing.
  await redis.xreadgroup('GROUP', OUTBOX_GROUP, 'dead-relay', 'COUNT', 10, 'STREAMS', key, '>')
  const survivor = relayOn(registryKey, { claimIdleMs: 1000 })
  expect(await survivor.relayOnce()).toBe(0)
  await Bun.sleep(1100)
  expect(await drain(survivor, 2)).toBe(2)
  expect(await redis.xlen(key)).toBe(0)
})

test('a malformed entry is dead-lettered with the reason, the good ones still go through', async () => {
  const { registryKey, dealId } = await outboxWith(1)
  await redis.xadd(dealOutboxKey(dealId), '*', 'orderId', 'not-a-uuid', 'dealId', dealId)
  expect(await drain(relayOn(registryKey), 2)).toBe(2)
  const dead = (await readTopic(dlqTopic, 1)).filter((m) => m.key?.toString() === dealId)
  expect(dead).toHaveLength(1)
  expect(header(dead[0] as never, 'dlq-reason')).toContain('orderId')
})

test('linger: after a round under load the relay waits for a fuller batch; a trickle goes at once', async () => {
  const { registryKey, dealId } = await outboxWith(20)
  const relay = relayOn(registryKey, { lingerMs: 3000 })
  const drained = async () => {
    const started = performance.now()
    while ((await redis.xlen(dealOutboxKey(dealId))) > 0) {
      if (performance.now() - started > 10_000) throw new Error('the outbox did not drain')
      await Bun.sleep(20)
    }
    return performance.now() - started
  }
  relay.start()
  try {
    await drained() // a round of 20 entries: load, so the relay lingers 3 s after it
    await appendEntry(dealId, 20)
    expect(await drained()).toBeGreaterThan(2000)
    // That round moved one entry, a trickle: the next read comes at once.
    await Bun.sleep(100)
    await appendEntry(dealId, 21)
    expect(await drained()).toBeLessThan(1500)
  } finally {
    await relay.stop()
  }
})

/** How many XREADGROUP calls this Redis has served so far. */
async function xreadgroupCalls() {
  const stats = (await redis.info('commandstats')) as string
  return Number(/cmdstat_xreadgroup:calls=(\d+)/.exec(stats)?.[1] ?? 0)
}

test('idle: a quiet relay reads with the long wait, and a new entry still wakes it at once', async () => {
  const { registryKey, dealId } = await outboxWith(0)
  const relay = relayOn(registryKey, { blockMs: 50, idleBlockMs: 3000 })
  relay.start()
  try {
    await Bun.sleep(1500) // a second with nothing moved: the reads switch to the long wait
    const before = await xreadgroupCalls()
    await Bun.sleep(3000)
    // With the 50 ms wait that would be about 60 reads; with the 3 s wait one or two.
    expect((await xreadgroupCalls()) - before).toBeLessThanOrEqual(3)
    const started = performance.now()
    await appendEntry(dealId, 0)
    while ((await redis.xlen(dealOutboxKey(dealId))) > 0) {
      if (performance.now() - started > 10_000) throw new Error('the outbox did not drain')
      await Bun.sleep(20)
    }
    // The blocked read returns as the entry lands, well before its 3 s wait is over.
    expect(performance.now() - started).toBeLessThan(2000)
  } finally {
    await relay.stop()
  }
})

test('stop() lets the running loop finish and returns', async () => {
  const { registryKey, dealId } = await outboxWith(4)
  const relay = relayOn(registryKey)
  relay.start()
  for (let i = 0; i < 100 && (await redis.xlen(dealOutboxKey(dealId))) > 0; i++) await Bun.sleep(50)
  await relay.stop()
  expect(await redis.xlen(dealOutboxKey(dealId))).toBe(0)
})

test('deals that ended over a minute ago with an empty outbox leave the registry, their purchase state expiring', async () => {
  const registryKey = `it:outbox-registry:${uniqueSuffix()}`
  const endedAt = Date.now() - 2 * 60_000
  const past = (endsAt: number) => ({
    startsAt: new Date(endsAt - 3_600_000),
    endsAt: new Date(endsAt),
  })
  // Published as the product service does; a deal already over has no purchases to make, so its
  // buyers and idempotency records are written in their contract format.
  const ended = (await publishDeal(redis, liveDeal({ stock: 3, ...past(endedAt) }))).id
  await redis.hset(dealBuyersKey(ended), 'user-1', 1)
  await redis.hset(
    dealIdempotencyKey(ended),
    idempotencyField('user-1', 'key-1'),
    idempotencyRecord(crypto.randomUUID(), 1),
  )
  const justEnded = (await publishDeal(redis, liveDeal(past(Date.now() - 10_000)))).id
  const live = (await publishDeal(redis, liveDeal())).id
  await reserve(redis, { dealId: live })
  await redis.xtrim(dealOutboxKey(live), 'MAXLEN', 0) // relayed already: only the end is missing
  const endedWithBacklog = (await publishDeal(redis, liveDeal(past(endedAt)))).id
  await redis.xadd(dealOutboxKey(endedWithBacklog), '*', 'orderId', 'not-yet-relayed')
  await redis.sadd(registryKey, ended, justEnded, live, endedWithBacklog)
  const deadKafka = createKafka({
    clientId: 'it-dead',
    brokers: [deadUrls.kafka],
    logger: recordingLogger(),
  })
  // A relay that cannot produce: the backlog stays, and so does its deal.
  const retentionMs = 3_600_000
  await relayOn(registryKey, {
    producer: deadKafka.producer({ retry: { retries: 0 } }),
    retentionMs,
  })
    .relayOnce()
    .catch(() => {})
  expect((await redis.smembers(registryKey)).sort()).toEqual(
    [justEnded, live, endedWithBacklog].sort(),
  )
  // The ended deal's purchase state expires `retentionMs` after its end; its info stays.
  for (const key of dealPurchaseStateKeys(ended).slice(0, 3))
    expect(await redis.pexpiretime(key)).toBe(endedAt + retentionMs)
  expect(await redis.pttl(dealInfoKey(ended))).toBe(-1)
  for (const key of [...dealKeys(live), ...dealKeys(endedWithBacklog), ...dealKeys(justEnded)])
    expect(await redis.pttl(key)).toBeLessThan(0)
  // The live deal's state (every key, written by publish-deal and reserve.lua) is all there.
  expect(await redis.exists(...dealKeys(live))).toBe(dealKeys(live).length)
})

test('metrics: the outbox depth per deal falls as records are sent, and the sent records are counted', async () => {
  const { registryKey, dealId } = await outboxWith(3)
  const metrics = recordingMetrics('order-relay')
  const relay = relayOn(registryKey, { telemetry: metrics.telemetry, batchSize: 2 })
  const depth = () => metrics.value('flash_deal.outbox.depth', { 'flash_deal.deal.id': dealId })
  const sent = () =>
    metrics.value('messaging.client.sent.messages', {
      'messaging.system': 'kafka',
      'messaging.operation.name': 'send',
      'messaging.destination.name': topic,
    })

  expect(await relay.relayOnce()).toBe(2)
  expect(await depth()).toBe(1)
  expect(await sent()).toBe(2)
  expect(await drain(relay, 1)).toBe(1)
  expect(await depth()).toBe(0)
  expect(await sent()).toBe(3)
})
