import type { Logger } from '@flash-deal/kit'
import { type Kafka, type KafkaMessage, type Message, Partitioners, type Producer } from 'kafkajs'

/**
 * The records that can never apply, on their way to the dead-letter topic with the reason and
 * where they came from (topic, partition, offset), so nothing is dropped silently.
 */
export class DeadLetters {
  private readonly producer: Producer

  constructor(
    kafka: Kafka,
    private readonly logger: Logger,
    private readonly sourceTopic: string,
    private readonly dlqTopic: string,
  ) {
    // The partitioner is named so kafkajs does not warn about its default on every start.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    })
  }

  connect() {
    return this.producer.connect()
  }

  disconnect() {
    return this.producer.disconnect()
  }

  letter(message: KafkaMessage, partition: number, reason: string): Message {
    return {
      key: message.key,
      value: message.value,
      headers: {
        ...message.headers,
        'dlq-reason': reason,
        'dlq-source-topic': this.sourceTopic,
        'dlq-source-partition': String(partition),
        'dlq-source-offset': message.offset,
      },
    }
  }

  async send(letters: Message[]) {
    if (letters.length === 0) return
    await this.producer.send({ topic: this.dlqTopic, messages: letters, acks: -1 })
    this.logger.error('records dead-lettered', {
      count: letters.length,
      reasons: [...new Set(letters.map((p) => String(p.headers?.['dlq-reason'])))],
    })
  }
}
