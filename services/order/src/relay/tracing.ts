import { dealOutboxKey, type OrderAccepted } from '@flash-deal/contracts'
import { ROOT_CONTEXT, recordError, type Span, SpanKind, type Telemetry } from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'

const sending = { 'messaging.system': 'kafka', 'messaging.operation.name': 'send' }

/**
 * The relay's telemetry: a PRODUCER span per record in its purchase's trace, the records sent,
 * and each deal's outbox depth.
 */
export class RelayTelemetry {
  private readonly sent

  constructor(
    private readonly telemetry: Telemetry,
    private readonly topic: string,
    redis: Redis,
    /** The deals being drained now. */
    deals: () => string[],
  ) {
    this.sent = telemetry.meter.createCounter('messaging.client.sent.messages', {
      description: 'Outbox records the relay produced to Kafka (acknowledged by the broker)',
      unit: '{message}',
    })
    const depth = telemetry.meter.createObservableGauge('flash_deal.outbox.depth', {
      description: 'Entries in a deal’s outbox stream not yet relayed to Kafka',
      unit: '{entry}',
    })
    // Sampled when metrics are collected (one round of reads per export interval), not per round:
    // the relay loop stays as it is. Every relay reports the same streams; read it per deal.
    depth.addCallback(async (result) => {
      const drained = deals()
      if (drained.length === 0) return
      // One XLEN per stream (they may sit in different cluster slots); auto-pipelining still
      // sends them in one write.
      const lengths = await Promise.allSettled(
        drained.map((dealId) => redis.xlen(dealOutboxKey(dealId))),
      )
      drained.forEach((dealId, i) => {
        const length = lengths[i]
        if (length?.status === 'fulfilled')
          result.observe(length.value, { 'flash_deal.deal.id': dealId })
      })
    })
  }

  /**
   * One PRODUCER span per record, a child of the reservation span whose context the outbox
   * record carries, so that each purchase's trace goes on through Kafka. (A single span for the
   * batch could only link to the purchases: every trace would stop at the relay.) It lasts until
   * Kafka has acknowledged the batch: the time the order waited in the relay is on the trace.
   * Returns the span (tracing on) and the `traceparent` header the record carries on.
   */
  produceSpan(event: OrderAccepted, traceparent: string | undefined) {
    if (!this.telemetry.enabled) return { span: undefined, header: traceparent }
    const span = this.telemetry.tracer.startSpan(
      `send ${this.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'send',
          'messaging.destination.name': this.topic,
          'messaging.kafka.message.key': event.dealId,
          'messaging.message.id': event.orderId,
        },
      },
      this.telemetry.extract({ traceparent }),
    )
    // The consumer continues this record's produce span.
    const header = this.telemetry.traceparentOf(this.telemetry.setSpan(ROOT_CONTEXT, span))
    return { span, header }
  }

  /** Ends the batch's produce spans, failed with `error` when the send failed. */
  endSpans(spans: Span[], batchSize: number, error?: unknown) {
    for (const span of spans) {
      if (error !== undefined) recordError(span, error)
      span.setAttribute('messaging.batch.message_count', batchSize)
      span.end()
    }
  }

  countSent(destination: string, count: number) {
    if (count > 0) this.sent.add(count, { ...sending, 'messaging.destination.name': destination })
  }
}
