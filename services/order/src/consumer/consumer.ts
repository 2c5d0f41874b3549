import {
  decodeOrderAccepted,
  ORDERS_ACCEPTED,
  ORDERS_DLQ,
  type OrderAccepted,
} from '@flash-deal/contracts'
import type { Sql } from '@flash-deal/db'
import { type Logger, type Telemetry, type TraceContext, telemetryOff } from '@flash-deal/kit'
import type {
  Batch,
  EachBatchPayload,
  Kafka,
  Consumer as KafkaConsumer,
  KafkaMessage,
  Message,
} from 'kafkajs'
import { withDefaults } from '../settings'
import type { AppliedBatch } from './apply-orders'
import { type ConsumerSettings, consumerDefaults } from './config'
import { DeadLetters } from './dead-letters'
import { type BatchStats, ConsumerTelemetry } from './tracing'

export type { BatchStats } from './tracing'

export interface ConsumerOptions extends Partial<ConsumerSettings> {
  kafka: Kafka
  sql: Sql
  logger: Logger
  topic?: string
  dlqTopic?: string
  /** Longest wait between two attempts of a batch that failed on the database. */
  maxBackoffMs?: number
  /** Traces each batch and its Postgres transaction, and measures batches; off when absent. */
  telemetry?: Telemetry
  /** The database name, for the spans' `db.namespace`. */
  databaseName?: string
}

type Decoded = { event: OrderAccepted; message: KafkaMessage }

/**
 * The order consumer: reads `orders.accepted` batch by batch and applies each batch in ONE
 * Postgres transaction (insert by order id, take the stock), then commits the offsets. A crash
 * anywhere before the commit means the batch is read again, and the idempotent insert makes that
 * harmless. Records that can never apply go to `orders.dlq` with the reason; a database error
 * is retried with backoff, holding the partition, because skipping a valid record would lose an
 * accepted order.
 */
export class Consumer {
  private readonly topic: string
  private readonly dlqTopic: string
  private readonly consumer: KafkaConsumer
  private readonly dlq: DeadLetters
  private readonly telemetry: ConsumerTelemetry
  private readonly listeners = new Set<(stats: BatchStats) => void>()

  constructor(private readonly options: ConsumerOptions) {
    const { groupId, sessionTimeoutMs, maxWaitMs } = withDefaults(consumerDefaults, options)
    this.topic = options.topic ?? ORDERS_ACCEPTED
    this.dlqTopic = options.dlqTopic ?? ORDERS_DLQ
    this.consumer = options.kafka.consumer({
      groupId,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(sessionTimeoutMs / 3)),
      maxBytesPerPartition: 1024 * 1024,
      // Let a fetch gather a batch worth a transaction instead of returning record by record.
      minBytes: 64 * 1024,
      maxWaitTimeInMs: maxWaitMs,
    })
    this.dlq = new DeadLetters(options.kafka, options.logger, this.topic, this.dlqTopic)
    this.telemetry = new ConsumerTelemetry(
      options.telemetry ?? telemetryOff('order-consumer'),
      this.topic,
      groupId,
      options.databaseName,
    )
  }

  async start() {
    await this.dlq.connect()
    await this.consumer.connect()
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true })
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) =>
        this.telemetry.traceBatch(payload.batch.messages, payload.batch.partition, (context) =>
          this.applyBatch(payload, context),
        ),
    })
  }

  /** Called after every committed batch (tests and metrics). */
  onBatch(listener: (stats: BatchStats) => void) {
    this.listeners.add(listener)
  }

  /** Lets the batch in flight finish and commit, then leaves the group. */
  async stop() {
    await this.consumer.disconnect()
    await this.dlq.disconnect()
  }

  /** One batch: decode, apply in one transaction, dead-letter what cannot apply, commit. */
  private async applyBatch(payload: EachBatchPayload, context: TraceContext) {
    const { batch } = payload
    const events: Decoded[] = []
    const poison: Message[] = []
    for (const message of batch.messages) {
      const decoded = decodeOrderAccepted(message.value)
      if (decoded.ok) events.push({ event: decoded.value, message })
      else poison.push(this.dlq.letter(message, batch.partition, decoded.reason))
    }
    const applied = await this.applyUntilDone(payload, events, context)
    for (const { event, reason } of applied.poison) {
      const found = events.find((e) => e.event.orderId === event.orderId)
      if (found) poison.push(this.dlq.letter(found.message, batch.partition, reason))
    }
    await this.dlq.send(poison)
    if (applied.rejected.length > 0) {
      this.options.logger.error(
        'orders rejected: Postgres had no stock left for them (Redis drifted)',
        { orders: applied.rejected.map((e) => e.orderId) },
      )
    }
    await this.commit(payload)
    this.report(batch, {
      confirmed: applied.confirmed.length,
      rejected: applied.rejected.length,
      duplicates: applied.duplicates,
      deadLettered: poison.length,
    })
  }

  /** The batch's transaction, retried with backoff while the database fails: never skipped. */
  private async applyUntilDone(
    { batch, heartbeat, isRunning, isStale }: EachBatchPayload,
    events: Decoded[],
    context: TraceContext,
  ): Promise<AppliedBatch> {
    const maxBackoffMs = this.options.maxBackoffMs ?? 5000
    const apply = () =>
      this.telemetry.applyInTransaction(
        this.options.sql,
        events.map((e) => e.event),
        context,
      )
    for (let attempt = 1; ; attempt++) {
      try {
        return await apply()
      } catch (error) {
        // Rebalanced away or shutting down: leave the batch (uncommitted) to whoever reads next.
        if (!isRunning() || isStale()) throw error
        const backoffMs = Math.min(maxBackoffMs, 100 * 2 ** Math.min(attempt, 6))
        this.options.logger.error('batch not applied; retrying (the offsets stay uncommitted)', {
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
  }

  private async commit({ batch, resolveOffset }: EachBatchPayload) {
    const last = batch.lastOffset()
    resolveOffset(last)
    await this.consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) },
    ])
  }

  private report(batch: Batch, stats: BatchStats) {
    this.options.logger.debug('batch applied', {
      partition: batch.partition,
      size: batch.messages.length,
      ...stats,
    })
    this.telemetry.measure(batch.messages.length, stats)
    for (const listener of this.listeners) listener(stats)
  }
}
