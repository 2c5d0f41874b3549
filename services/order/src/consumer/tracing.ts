import type { OrderAccepted } from '@flash-deal/contracts'
import { postgresAttributes, type Sql, tracedQueries } from '@flash-deal/db'
import {
  type Link,
  ROOT_CONTEXT,
  SpanKind,
  type Telemetry,
  type TraceContext,
} from '@flash-deal/kit'
import type { KafkaMessage } from 'kafkajs'
import { applyOrders } from './apply-orders'

export interface BatchStats {
  confirmed: number
  rejected: number
  duplicates: number
  deadLettered: number
}

/**
 * The consumer's telemetry: a CONSUMER span per batch (and per record of a larger batch), the
 * batch's Postgres transaction with its statements, and the batches' sizes and outcomes.
 */
export class ConsumerTelemetry {
  private readonly dbAttributes
  private readonly queriesFor
  private readonly batchSize
  private readonly records

  constructor(
    private readonly telemetry: Telemetry,
    private readonly topic: string,
    private readonly groupId: string,
    databaseName: string | undefined,
  ) {
    this.dbAttributes = postgresAttributes(databaseName)
    this.queriesFor = tracedQueries(telemetry, { databaseName })
    this.batchSize = telemetry.meter.createHistogram('flash_deal.consumer.batch.size', {
      description: 'Records per batch applied in one Postgres transaction',
      unit: '{message}',
      advice: { explicitBucketBoundaries: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] },
    })
    this.records = telemetry.meter.createCounter('flash_deal.consumer.records', {
      description: 'Records of committed batches, by what became of them',
      unit: '{message}',
    })
  }

  /**
   * The batch's Postgres transaction as a span, and each statement in it as a child named by its
   * db/query.sql name (LockBatchState, InsertOrders). Tracing off: the plain query functions.
   */
  applyInTransaction(sql: Sql, events: OrderAccepted[], parent: TraceContext) {
    if (!this.telemetry.enabled) return sql.begin((tx) => applyOrders(tx, events))
    return this.telemetry.withSpan(
      'transaction',
      {
        parent,
        kind: SpanKind.CLIENT,
        attributes: { ...this.dbAttributes, 'db.operation.name': 'TRANSACTION' },
      },
      (_span, transaction) =>
        sql.begin((tx) => applyOrders(tx, events, this.queriesFor(transaction))),
    )
  }

  measure(size: number, stats: BatchStats) {
    this.batchSize.record(size, { 'messaging.destination.name': this.topic })
    const outcomes = [
      ['confirmed', stats.confirmed],
      ['duplicate', stats.duplicates],
      ['rejected', stats.rejected],
      ['dead_lettered', stats.deadLettered],
    ] as const
    for (const [outcome, count] of outcomes) if (count > 0) this.records.add(count, { outcome })
  }

  /**
   * One CONSUMER span per batch. A batch of one record continues that record's trace (its
   * produce span in the relay), so a lone purchase is one trace down to the Postgres write. A
   * larger batch cannot have every purchase as its parent: its span links to all of them, and
   * each record gets a short `process` span in its own purchase's trace that links back to the
   * batch, so every purchase trace still shows when and where its order was applied.
   */
  async traceBatch(
    messages: KafkaMessage[],
    partition: number,
    work: (batchContext: TraceContext) => Promise<void>,
  ) {
    const { telemetry, topic } = this
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
      'messaging.consumer.group.name': this.groupId,
    }
    const single = records.length === 1 ? records[0] : undefined
    const links: Link[] = single ? [] : records.flatMap(this.linkTo)
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
                { kind: SpanKind.CONSUMER, attributes, links: this.linkTo(batchContext) },
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

  private readonly linkTo = (context: TraceContext): Link[] => {
    const span = this.telemetry.spanContextOf(context)
    return span ? [{ context: span }] : []
  }
}
