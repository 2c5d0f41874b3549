import {
  ORDERS_ACCEPTED,
  ORDERS_DLQ,
  OUTBOX_REGISTRY_KEY,
  orderAcceptedFromOutbox,
  outboxEntryFields,
} from '@flash-deal/contracts'
import { type Logger, type Span, type Telemetry, telemetryOff } from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'
import type { Message, Producer } from 'kafkajs'
import { withDefaults } from '../settings'
import { type RelaySettings, relayDefaults } from './config'
import { type OutboxBatch, OutboxReader } from './outbox'
import { DealRetention } from './retention'
import { RelayTelemetry } from './tracing'

export interface RelayOptions extends Partial<RelaySettings> {
  redis: Redis
  producer: Producer
  logger: Logger
  topic?: string
  dlqTopic?: string
  /** The set of deal ids to drain (tests use their own). */
  registryKey?: string
  /** Called before each produce, e.g. to (re)connect the producer after Kafka was down. */
  beforeSend?: () => Promise<void>
  /**
   * Traces each record's produce as part of its purchase's trace, counts the records sent and
   * reports each deal's outbox depth; off when absent.
   */
  telemetry?: Telemetry
}

/**
 * One outbox entry (the field list `reserve.lua` appends) as the OrderAccepted it records and
 * the purchase's traceparent, or the reason it is not one.
 */
export function decodeOutboxEntry(list: string[]) {
  const fields = outboxEntryFields(list)
  return { fields, decoded: orderAcceptedFromOutbox(fields) }
}

/** A round that moved fewer entries than this is a trickle: no linger, lowest latency. */
const LINGER_MIN_ENTRIES = 16

/**
 * The outbox relay: drains every deal's outbox stream (the records the reservation script wrote
 * atomically with each reservation) into Kafka, and acknowledges and deletes the entries only
 * after Kafka has acknowledged them (acks=all, idempotent producer). If Kafka is down the entries
 * simply wait in Redis; if the relay dies between the produce and the acknowledgement, the
 * entries are produced again (at-least-once) and the consumer's idempotent insert absorbs it.
 */
export class Relay {
  private readonly settings: RelaySettings
  private readonly topic: string
  private readonly dlqTopic: string
  private readonly outbox: OutboxReader
  private readonly telemetry: RelayTelemetry
  // When a round last moved entries: a second after it, reads wait idleBlockMs.
  private busyAt = 0
  private stopping = false
  private loop: Promise<void> | undefined

  constructor(private readonly options: RelayOptions) {
    const { redis, logger } = options
    this.settings = withDefaults(relayDefaults, options)
    this.topic = options.topic ?? ORDERS_ACCEPTED
    this.dlqTopic = options.dlqTopic ?? ORDERS_DLQ
    const registryKey = options.registryKey ?? OUTBOX_REGISTRY_KEY
    const { retentionMs, consumerName, batchSize, claimIdleMs } = this.settings
    const retention = new DealRetention({ redis, logger, registryKey, retentionMs })
    this.outbox = new OutboxReader({
      redis,
      logger,
      registryKey,
      retention,
      consumerName,
      batchSize,
      claimIdleMs,
    })
    this.telemetry = new RelayTelemetry(
      options.telemetry ?? telemetryOff('order-relay'),
      this.topic,
      redis,
      () => this.outbox.deals,
    )
  }

  start() {
    this.loop ??= this.run()
  }

  /** Finishes the round in flight (its produce and acknowledgement), then stops. */
  async stop() {
    this.stopping = true
    await this.loop
  }

  /** One round: read a batch, produce it, acknowledge it. Returns how many entries it moved. */
  async relayOnce(): Promise<number> {
    const batch = await this.outbox.read(this.blockMs())
    if (batch.length === 0) return 0
    const { accepted, poison, spans } = this.toMessages(batch)
    const topicMessages = [
      ...(accepted.length > 0 ? [{ topic: this.topic, messages: accepted }] : []),
      ...(poison.length > 0 ? [{ topic: this.dlqTopic, messages: poison }] : []),
    ]
    try {
      await this.options.beforeSend?.()
      await this.options.producer.sendBatch({ topicMessages, acks: -1 })
    } catch (error) {
      this.outbox.readAgain()
      this.telemetry.endSpans(spans, accepted.length, error)
      throw error
    }
    this.telemetry.endSpans(spans, accepted.length)
    await this.outbox.acknowledge(batch)
    this.telemetry.countSent(this.topic, accepted.length)
    this.telemetry.countSent(this.dlqTopic, poison.length)
    const moved = accepted.length + poison.length
    this.options.logger.debug('relayed', { entries: moved, streams: batch.length })
    return moved
  }

  /** Each entry as its OrderAccepted record, or, if it is not one, as a dead letter. */
  private toMessages(batch: OutboxBatch) {
    const spans: Span[] = []
    const accepted: Message[] = []
    const poison: Message[] = []
    for (const [key, entries] of batch) {
      for (const [id, list] of entries) {
        const { fields, decoded } = decodeOutboxEntry(list)
        if (decoded.ok) {
          const { event, traceparent } = decoded.value
          const { span, header } = this.telemetry.produceSpan(event, traceparent)
          if (span) spans.push(span)
          accepted.push({
            key: event.dealId,
            value: JSON.stringify(event),
            headers: header ? { traceparent: header } : {},
          })
          continue
        }
        this.options.logger.error('outbox entry is not an OrderAccepted; sent to the DLQ', {
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
    return { accepted, poison, spans }
  }

  private blockMs() {
    const { idleBlockMs, blockMs } = this.settings
    return Date.now() - this.busyAt > 1000 ? Math.max(blockMs, idleBlockMs) : blockMs
  }

  private async run() {
    const { logger } = this.options
    const { batchSize, lingerMs } = this.settings
    let failures = 0
    while (!this.stopping) {
      try {
        const moved = await this.relayOnce()
        if (moved > 0) this.busyAt = Date.now()
        if (failures > 0) logger.info('relay recovered', { afterFailures: failures })
        failures = 0
        // Nothing to relay and no stream to block on: do not spin.
        if (moved === 0 && this.outbox.deals.length === 0) await Bun.sleep(this.blockMs())
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
}
