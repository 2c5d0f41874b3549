import {
  decodeOrderAccepted,
  ORDERS_ACCEPTED,
  ORDERS_DLQ,
  type OrderAccepted,
} from '@flash-deal/contracts'
import { postgresAttributes, type Sql, tracedQueries } from '@flash-deal/db'
import {
  type Link,
  type Logger,
  ROOT_CONTEXT,
  SpanKind,
  type Telemetry,
  type TraceContext,
  telemetryOff,
} from '@flash-deal/kit'
import {
  type Consumer,
  type Kafka,
  type KafkaMessage,
  type Message,
  Partitioners,
  type Producer,
} from 'kafkajs'
import { applyOrders } from './apply-orders'

export interface OrderConsumerOptions {
  kafka: Kafka
  sql: Sql
  logger: Logger
  groupId?: string
  topic?: string
  dlqTopic?: string
  /** Longest wait between two attempts of a batch that failed on the database. */
  maxBackoffMs?: number
  /** How long the group waits for a silent member (a crashed consumer) before rebalancing. */
  sessionTimeoutMs?: number
  /**
   * How long the broker holds a fetch that has less than a batch's worth (64 KiB): a spike fills
   * the batch at once, so this only delays a trickle's confirmation, and an idle consumer makes
   * two fetches a second instead of twenty.
   */
  maxWaitMs?: number
  /** Traces each batch and its Postgres transaction, and measures batches; off when absent. */
  telemetry?: Telemetry
  /** The database name, for the spans' `db.namespace`. */
  databaseName?: string
}

export interface BatchStats {
  confirmed: number
  rejected: number
  duplicates: number
  deadLettered: number
}

/**
 * The order consumer: reads `orders.accepted` batch by batch and applies each batch in ONE
 * Postgres transaction (insert by order id, take the stock), then commits the offsets. A crash
 * anywhere before the commit means the batch is read again, and the idempotent insert makes that
 * harmless. Records that can never apply go to `orders.dlq` with the reason; a database error
 * is retried with backoff, holding the partition, because skipping a valid record would lose an
 * accepted order.
 */
export function createOrderConsumer(options: OrderConsumerOptions) {
  const { kafka, sql, logger } = options
  const topic = options.topic ?? ORDERS_ACCEPTED
  const dlqTopic = options.dlqTopic ?? ORDERS_DLQ
  const maxBackoffMs = options.maxBackoffMs ?? 5000
  const telemetry = options.telemetry ?? telemetryOff('order-consumer')
  const dbAttributes = postgresAttributes(options.databaseName)
  const queriesFor = tracedQueries(telemetry, { databaseName: options.databaseName })

  /**
   * The batch's Postgres transaction as a span, and each statement in it as a child named by its
   * db/query.sql name (LockDeals, InsertOrders, ...). Tracing off: the plain query functions.
   */
  function applyInTransaction(events: OrderAccepted[], parent: TraceContext) {
    if (!telemetry.enabled) return sql.begin((tx) => applyOrders(tx, events))
    return telemetry.withSpan(
      'transaction',
      {
        parent,
        kind: SpanKind.CLIENT,
        attributes: { ...dbAttributes, 'db.operation.name': 'TRANSACTION' },
      },
      (_span, transaction) => sql.begin((tx) => applyOrders(tx, events, queriesFor(transaction))),
    )
  }
  const groupId = options.groupId ?? 'order-consumer'
  const consumer: Consumer = kafka.consumer({
    groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: Math.min(3000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
    maxBytesPerPartition: 1024 * 1024,
    // Let a fetch gather a batch worth a transaction instead of returning record by record.
    minBytes: 64 * 1024,
    maxWaitTimeInMs: options.maxWaitMs ?? 500,
  })
  // The partitioner is named so kafkajs does not warn about its default on every start.
  const dlq: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  const listeners = new Set<(stats: BatchStats) => void>()

  const batchSize = telemetry.meter.createHistogram('flash_deal.consumer.batch.size', {
    description: 'Records per batch applied in one Postgres transaction',
    unit: '{message}',
    advice: { explicitBucketBoundaries: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] },
  })
  const records = telemetry.meter.createCounter('flash_deal.consumer.records', {
    description: 'Records of committed batches, by what became of them',
    unit: '{message}',
  })
  function measure(size: number, stats: BatchStats) {
    batchSize.record(size, { 'messaging.destination.name': topic })
    const outcomes = [
      ['confirmed', stats.confirmed],
      ['duplicate', stats.duplicates],
      ['rejected', stats.rejected],
      ['dead_lettered', stats.deadLettered],
    ] as const
    for (const [outcome, count] of outcomes) if (count > 0) records.add(count, { outcome })
  }

  const deadLetter = (message: KafkaMessage, partition: number, reason: string): Message => ({
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      'dlq-reason': reason,
      'dlq-source-topic': topic,
      'dlq-source-partition': String(partition),
      'dlq-source-offset': message.offset,
    },
  })

  async function start() {
    await dlq.connect()
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: ({ batch, heartbeat, isRunning, isStale, resolveOffset }) =>
        traceBatch(batch.messages, batch.partition, async (batchContext) => {
          const events: { event: OrderAccepted; message: KafkaMessage }[] = []
          const poison: Message[] = []
          for (const message of batch.messages) {
            const decoded = decodeOrderAccepted(message.value)
            if (decoded.ok) events.push({ event: decoded.value, message })
            else poison.push(deadLetter(message, batch.partition, decoded.reason))
          }

          let attempt = 0
          let applied: Awaited<ReturnType<typeof applyOrders>> | undefined
          while (!applied) {
            try {
              applied = await applyInTransaction(
                events.map((e) => e.event),
                batchContext,
              )
            } catch (error) {
              // Rebalanced away or shutting down: leave the batch (uncommitted) to whoever reads next.
              if (!isRunning() || isStale()) throw error
              attempt++
              const backoffMs = Math.min(maxBackoffMs, 100 * 2 ** Math.min(attempt, 6))
              logger.error('batch not applied; retrying (the offsets stay uncommitted)', {
                error,
                attempt,
                backoffMs,
                partition: batch.partition,
                firstOffset: batch.firstOffset(),
              })
              await Bun.sleep(backoffMs)
              await heartbeat()
            }
          }

          for (const { event, reason } of applied.poison) {
            const found = events.find((e) => e.event.orderId === event.orderId)
            if (found) poison.push(deadLetter(found.message, batch.partition, reason))
          }
          if (poison.length > 0) {
            await dlq.send({ topic: dlqTopic, messages: poison, acks: -1 })
            logger.error('records dead-lettered', {
              count: poison.length,
              reasons: [...new Set(poison.map((p) => String(p.headers?.['dlq-reason'])))],
            })
          }
          if (applied.rejected.length > 0) {
            logger.error('orders rejected: Postgres had no stock left for them (Redis drifted)', {
              orders: applied.rejected.map((e) => e.orderId),
            })
          }

          const last = batch.lastOffset()
          resolveOffset(last)
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) },
          ])
          const stats: BatchStats = {
            confirmed: applied.confirmed.length,
            rejected: applied.rejected.length,
            duplicates: applied.duplicates,
            deadLettered: poison.length,
          }
          logger.debug('batch applied', {
            partition: batch.partition,
            size: batch.messages.length,
            ...stats,
          })
          measure(batch.messages.length, stats)
          for (const listener of listeners) listener(stats)
        }),
    })
  }

  /**
   * One CONSUMER span per batch. A batch of one record continues that record's trace (its
   * produce span in the relay), so a lone purchase is one trace down to the Postgres write. A
   * larger batch cannot have every purchase as its parent: its span links to all of them, and
   * each record gets a short `process` span in its own purchase's trace that links back to the
   * batch, so every purchase trace still shows when and where its order was applied.
   */
  async function traceBatch(
    messages: KafkaMessage[],
    partition: number,
    work: (batchContext: TraceContext) => Promise<void>,
  ) {
    if (!telemetry.enabled) return work(ROOT_CONTEXT)
    const records = messages.map((message) =>
      telemetry.extract({ traceparent: message.headers?.traceparent?.toString() }),
    )
    const attributes = {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': String(partition),
      'messaging.consumer.group.name': groupId,
    }
    const single = records.length === 1 ? records[0] : undefined
    const links: Link[] = single ? [] : records.flatMap(linkTo)
    return telemetry.withSpan(
      `process ${topic}`,
      {
        kind: SpanKind.CONSUMER,
        parent: single,
        links,
        attributes: { ...attributes, 'messaging.batch.message_count': messages.length },
      },
      async (_span, batchContext) => {
        const perRecord = single
          ? []
          : records.map((record) =>
              telemetry.tracer.startSpan(
                `process ${topic}`,
                { kind: SpanKind.CONSUMER, attributes, links: linkTo(batchContext) },
                record,
              ),
            )
        try {
          await work(batchContext)
        } finally {
          for (const span of perRecord) span.end()
        }
      },
    )
  }

  const linkTo = (context: TraceContext): Link[] => {
    const span = telemetry.spanContextOf(context)
    return span ? [{ context: span }] : []
  }

  return {
    consumer,
    start,
    /** Called after every committed batch (tests and metrics). */
    onBatch(listener: (stats: BatchStats) => void) {
      listeners.add(listener)
    },
    /** Lets the batch in flight finish and commit, then leaves the group. */
    async stop() {
      await consumer.disconnect()
      await dlq.disconnect()
    },
  }
}
