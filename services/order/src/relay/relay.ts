import {
  dealInfoKey,
  dealOutboxKey,
  dealPurchaseStateKeys,
  fieldsToRecord,
  ORDERS_ACCEPTED,
  ORDERS_DLQ,
  type OrderAccepted,
  OUTBOX_GROUP,
  OUTBOX_REGISTRY_KEY,
  orderAcceptedFromOutbox,
} from '@flash-deal/contracts'
import {
  type Logger,
  ROOT_CONTEXT,
  recordError,
  type Span,
  SpanKind,
  type Telemetry,
  telemetryOff,
} from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'
import type { Message, Producer } from 'kafkajs'

export interface RelayOptions {
  redis: Redis
  producer: Producer
  logger: Logger
  /** This relay's name in the consumer group; entries it read but did not finish stay its own. */
  consumerName: string
  topic?: string
  dlqTopic?: string
  /** Entries read per stream per round. */
  batchSize?: number
  /** How long one read waits for new entries. */
  blockMs?: number
  /**
   * How long one read waits once nothing has arrived for a second: an idle relay makes one round
   * a second instead of ten (an idle `make dev` costs next to nothing). Entries of deals the
   * relay already reads wake it at once either way; only a deal registered during the wait is
   * picked up when the wait ends.
   */
  idleBlockMs?: number
  /**
   * Under load (a round that moved at least `LINGER_MIN_ENTRIES` but less than a full batch),
   * wait this long before the next read, so entries accumulate into fewer, larger Kafka batches
   * and consumer transactions (Kafka's own `linger.ms`): the drain costs less CPU per order when
   * it competes with the spike. A trickle is sent at once. 0 never waits.
   */
  lingerMs?: number
  /** Entries another relay left unacknowledged this long are taken over (it is presumed dead). */
  claimIdleMs?: number
  /** The set of deal ids to drain (tests use their own). */
  registryKey?: string
  /**
   * How long after its end a deal's purchase state (stock, buyers, idempotency records, outbox)
   * stays in Redis: a retry with the same Idempotency-Key answers the original order until then.
   * Its `info` stays, so a late purchase is still refused as `ended`.
   */
  retentionMs?: number
  /** Called before each produce, e.g. to (re)connect the producer after Kafka was down. */
  beforeSend?: () => Promise<void>
  /**
   * Traces each record's produce as part of its purchase's trace, counts the records sent and
   * reports each deal's outbox depth; off when absent.
   */
  telemetry?: Telemetry
}

type StreamEntry = [id: string, fields: string[]]
type StreamReply = [key: string, entries: StreamEntry[]][] | null

/** How long after its end a deal with an empty outbox stays in the registry. */
const ENDED_GRACE_MS = 60_000
/** A round that moved fewer entries than this is a trickle: no linger, lowest latency. */
const LINGER_MIN_ENTRIES = 16
/** A day: the usual lifetime of an Idempotency-Key. */
const DEFAULT_RETENTION_MS = 86_400_000

const isRedisError = (error: unknown, code: string) =>
  error instanceof Error && error.message.startsWith(code)

/**
 * The outbox relay: drains every deal's outbox stream (the records the reservation script wrote
 * atomically with each reservation) into Kafka, and acknowledges and deletes the entries only
 * after Kafka has acknowledged them (acks=all, idempotent producer). If Kafka is down the entries
 * simply wait in Redis; if the relay dies between the produce and the acknowledgement, the
 * entries are produced again (at-least-once) and the consumer's idempotent insert absorbs it.
 */
export function createRelay(options: RelayOptions) {
  const { redis, producer, logger, consumerName } = options
  const topic = options.topic ?? ORDERS_ACCEPTED
  const dlqTopic = options.dlqTopic ?? ORDERS_DLQ
  const batchSize = options.batchSize ?? 500
  const blockMs = options.blockMs ?? 100
  const idleBlockMs = Math.max(blockMs, options.idleBlockMs ?? 1000)
  const lingerMs = options.lingerMs ?? 0
  const claimIdleMs = options.claimIdleMs ?? 30_000
  const registryKey = options.registryKey ?? OUTBOX_REGISTRY_KEY
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS
  const telemetry = options.telemetry ?? telemetryOff('order-relay')

  const groups = new Set<string>()
  let deals: string[] = []
  let dealsReadAt = 0
  // After a start or a failed send, first re-read what this relay holds unacknowledged.
  let ownPending = true
  let lastClaimAt = 0
  // When a round last moved entries: a second after it, reads wait idleBlockMs.
  let busyAt = 0
  let lastPruneAt = 0
  let stopping = false
  let loop: Promise<void> | undefined

  const sent = telemetry.meter.createCounter('messaging.client.sent.messages', {
    description: 'Outbox records the relay produced to Kafka (acknowledged by the broker)',
    unit: '{message}',
  })
  const depth = telemetry.meter.createObservableGauge('flash_deal.outbox.depth', {
    description: 'Entries in a deal’s outbox stream not yet relayed to Kafka',
    unit: '{entry}',
  })
  // Sampled when metrics are collected (one pipeline per export interval), not per round:
  // the relay loop stays as it is. Every relay reports the same streams; read it per deal.
  depth.addCallback(async (result) => {
    if (deals.length === 0) return
    const pipeline = redis.pipeline()
    for (const dealId of deals) pipeline.xlen(dealOutboxKey(dealId))
    const replies = (await pipeline.exec()) ?? []
    deals.forEach((dealId, i) => {
      const [error, length] = replies[i] ?? []
      if (!error) result.observe(Number(length), { 'flash_deal.deal.id': dealId })
    })
  })

  /**
   * Drops from the registry the deals that ended over a minute ago and have nothing left to
   * relay, so the read across all streams (its cost grows with every stream named) stays as
   * small as the set of deals that matter. No entry can arrive after the end (the reservation
   * judges the window by Redis's clock); the minute covers this process's clock being behind.
   * Their purchase state gets an expiry, `retentionMs` after the end: without it every sale would
   * leave its buyers and idempotency records (one per purchase) in Redis for good.
   */
  async function pruneEndedDeals(members: string[]) {
    if (Date.now() - lastPruneAt < 60_000) return members
    lastPruneAt = Date.now()
    const pipeline = redis.pipeline()
    for (const dealId of members) {
      pipeline.xlen(dealOutboxKey(dealId))
      pipeline.hget(dealInfoKey(dealId), 'endsAt')
    }
    const replies = (await pipeline.exec()) ?? []
    const cutoff = Date.now() - ENDED_GRACE_MS
    const done: { dealId: string; endsAt: number }[] = []
    members.forEach((dealId, i) => {
      const backlog = Number(replies[2 * i]?.[1] ?? 1)
      const endsAt = Number(replies[2 * i + 1]?.[1] ?? Number.POSITIVE_INFINITY)
      if (backlog === 0 && endsAt < cutoff) done.push({ dealId, endsAt })
    })
    if (done.length === 0) return members
    // Expiries first: a failure leaves the deal registered, and the next prune sets them again.
    const expiries = redis.pipeline()
    for (const { dealId, endsAt } of done)
      for (const key of dealPurchaseStateKeys(dealId)) expiries.pexpireat(key, endsAt + retentionMs)
    for (const [error] of (await expiries.exec()) ?? []) if (error) throw error
    const gone = new Set(done.map(({ dealId }) => dealId))
    await redis.srem(registryKey, ...gone)
    logger.info('relay: ended deals no longer drained', { deals: gone.size })
    return members.filter((dealId) => !gone.has(dealId))
  }

  async function refreshDeals() {
    if (Date.now() - dealsReadAt < 1000) return
    deals = (await pruneEndedDeals(await redis.smembers(registryKey))).sort()
    dealsReadAt = Date.now()
    for (const dealId of deals) {
      const key = dealOutboxKey(dealId)
      if (groups.has(key)) continue
      try {
        // From id 0: entries appended before the group existed are relayed too.
        await redis.xgroup('CREATE', key, OUTBOX_GROUP, '0', 'MKSTREAM')
      } catch (error) {
        if (!isRedisError(error, 'BUSYGROUP')) throw error
      }
      groups.add(key)
    }
  }

  /** Takes over entries a dead relay left pending for longer than `claimIdleMs`. */
  async function claimAbandoned() {
    if (Date.now() - lastClaimAt < claimIdleMs / 2) return
    lastClaimAt = Date.now()
    for (const dealId of deals) {
      const key = dealOutboxKey(dealId)
      const [, claimed] = (await redis.xautoclaim(
        key,
        OUTBOX_GROUP,
        consumerName,
        claimIdleMs,
        '0',
        'COUNT',
        batchSize,
      )) as [string, StreamEntry[]]
      if (claimed.length > 0) {
        logger.warn('relay took over entries of a silent relay', {
          dealId,
          entries: claimed.length,
        })
        ownPending = true
      }
    }
  }

  async function readFrom(from: '0' | '>'): Promise<[string, StreamEntry[]][]> {
    const keys = deals.map(dealOutboxKey)
    // One read across every deal's stream (one Redis node; on a cluster, group keys by slot).
    const reply = (await redis.call(
      'XREADGROUP',
      'GROUP',
      OUTBOX_GROUP,
      consumerName,
      'COUNT',
      batchSize,
      ...(from === '>' ? ['BLOCK', Date.now() - busyAt > 1000 ? idleBlockMs : blockMs] : []),
      'STREAMS',
      ...keys,
      ...keys.map(() => from),
    )) as StreamReply
    return (reply ?? []).filter(([, entries]) => entries.length > 0)
  }

  /** What this relay holds unacknowledged first (after a restart or a failed send), then new entries. */
  async function read(): Promise<[string, StreamEntry[]][]> {
    if (deals.length === 0) return []
    if (ownPending) {
      const held = await readFrom('0')
      if (held.length > 0) return held
      ownPending = false
    }
    return readFrom('>')
  }

  function toMessages(streams: [string, StreamEntry[]][]) {
    const spans: Span[] = []
    const accepted: Message[] = []
    const poison: Message[] = []
    for (const [key, entries] of streams) {
      for (const [id, list] of entries) {
        const fields = fieldsToRecord(list)
        const decoded = orderAcceptedFromOutbox(fields)
        if (decoded.ok) {
          const { event, traceparent } = decoded.value
          const span = produceSpan(event, traceparent)
          if (span) spans.push(span)
          // Tracing on: the consumer continues this record's produce span; off: the purchase's.
          const header = span
            ? telemetry.traceparentOf(telemetry.setSpan(ROOT_CONTEXT, span))
            : traceparent
          accepted.push({
            key: event.dealId,
            value: JSON.stringify(event),
            headers: header ? { traceparent: header } : {},
          })
        } else {
          logger.error('outbox entry is not an OrderAccepted; sent to the DLQ', {
            stream: key,
            entryId: id,
            reason: decoded.reason,
          })
          poison.push({
            key: fields.dealId ?? null,
            value: JSON.stringify(fields),
            headers: { 'dlq-reason': decoded.reason, 'dlq-source': `redis:${key}:${id}` },
          })
        }
      }
    }
    return { accepted, poison, spans }
  }

  /**
   * One PRODUCER span per record, a child of the reservation span whose context the outbox
   * record carries, so that each purchase's trace goes on through Kafka. (A single span for the
   * batch could only link to the purchases: every trace would stop at the relay.) It lasts until
   * Kafka has acknowledged the batch: the time the order waited in the relay is on the trace.
   */
  function produceSpan(event: OrderAccepted, traceparent: string | undefined) {
    if (!telemetry.enabled) return undefined
    return telemetry.tracer.startSpan(
      `send ${topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'send',
          'messaging.destination.name': topic,
          'messaging.kafka.message.key': event.dealId,
          'messaging.message.id': event.orderId,
        },
      },
      telemetry.extract({ traceparent }),
    )
  }

  async function acknowledge(streams: [string, StreamEntry[]][]) {
    const pipeline = redis.multi()
    for (const [key, entries] of streams) {
      const ids = entries.map(([id]) => id)
      pipeline.xack(key, OUTBOX_GROUP, ...ids)
      // Delivered entries leave the stream: its length is the backlog still to relay.
      pipeline.xdel(key, ...ids)
    }
    await pipeline.exec()
  }

  /** One round: read a batch, produce it, acknowledge it. Returns how many entries it moved. */
  async function relayOnce(): Promise<number> {
    await refreshDeals()
    await claimAbandoned()
    let streams: [string, StreamEntry[]][]
    try {
      streams = await read()
    } catch (error) {
      if (!isRedisError(error, 'NOGROUP')) throw error
      // The stream or its group vanished (Redis lost its data): create them again.
      groups.clear()
      dealsReadAt = 0
      return 0
    }
    if (streams.length === 0) return 0
    const { accepted, poison, spans } = toMessages(streams)
    const topicMessages = [
      ...(accepted.length > 0 ? [{ topic, messages: accepted }] : []),
      ...(poison.length > 0 ? [{ topic: dlqTopic, messages: poison }] : []),
    ]
    try {
      await options.beforeSend?.()
      await producer.sendBatch({ topicMessages, acks: -1 })
    } catch (error) {
      ownPending = true
      for (const span of spans) recordError(span, error)
      throw error
    } finally {
      for (const span of spans) {
        span.setAttribute('messaging.batch.message_count', accepted.length)
        span.end()
      }
    }
    await acknowledge(streams)
    const sending = { 'messaging.system': 'kafka', 'messaging.operation.name': 'send' }
    if (accepted.length > 0)
      sent.add(accepted.length, { ...sending, 'messaging.destination.name': topic })
    if (poison.length > 0)
      sent.add(poison.length, { ...sending, 'messaging.destination.name': dlqTopic })
    const moved = accepted.length + poison.length
    logger.debug('relayed', { entries: moved, streams: streams.length })
    return moved
  }

  async function run() {
    let failures = 0
    while (!stopping) {
      try {
        const moved = await relayOnce()
        if (moved > 0) busyAt = Date.now()
        if (failures > 0) logger.info('relay recovered', { afterFailures: failures })
        failures = 0
        // Nothing to relay and no stream to block on: do not spin.
        if (moved === 0 && deals.length === 0)
          await Bun.sleep(Date.now() - busyAt > 1000 ? idleBlockMs : blockMs)
        else if (moved >= LINGER_MIN_ENTRIES && moved < batchSize && lingerMs > 0)
          await Bun.sleep(lingerMs)
      } catch (error) {
        failures++
        const backoffMs = Math.min(5000, 100 * 2 ** Math.min(failures, 6))
        logger.error('relay round failed; the entries stay in Redis and are retried', {
          error,
          failures,
          backoffMs,
        })
        await Bun.sleep(backoffMs)
      }
    }
  }

  return {
    relayOnce,
    start() {
      loop ??= run()
    },
    /** Finishes the round in flight (its produce and acknowledgement), then stops. */
    async stop() {
      stopping = true
      await loop
    },
  }
}
