/** The messages of the order events' AsyncAPI document (asyncapi.ts), one named part each. */

const KAFKA_BINDING_VERSION = '0.5.0'

const DealId = {
  type: 'string',
  format: 'uuid',
  description: 'the deal id: the orders of one deal land on one partition, in order',
}

const Traceparent = {
  type: 'string',
  pattern: '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
  description:
    'W3C Trace Context of the purchase that was accepted (gateway → outbox → Kafka → consumer)',
}

const Digits = (description: string) => ({ type: 'string', pattern: '^[0-9]+$', description })

/** What the relay produces to `orders.accepted`, keyed by deal, with the purchase's traceparent. */
const orderAcceptedMessage = {
  name: 'OrderAccepted',
  title: 'OrderAccepted v1',
  contentType: 'application/json',
  headers: {
    type: 'object',
    properties: { traceparent: Traceparent },
  },
  payload: { $ref: '#/components/schemas/OrderAcceptedV1' },
  bindings: { kafka: { key: DealId, bindingVersion: KAFKA_BINDING_VERSION } },
}

/** What the order service produces to `orders.released`, keyed by deal. */
const orderReleasedMessage = {
  name: 'OrderReleased',
  title: 'OrderReleased v1',
  contentType: 'application/json',
  payload: { $ref: '#/components/schemas/OrderReleasedV1' },
  bindings: { kafka: { key: DealId, bindingVersion: KAFKA_BINDING_VERSION } },
}

/** What the relay dead-letters: an outbox entry's fields as they were. */
const outboxDeadLetterMessage = {
  name: 'OutboxDeadLetter',
  title: 'An outbox entry the relay could not turn into an OrderAccepted',
  contentType: 'application/json',
  headers: {
    type: 'object',
    required: ['dlq-reason', 'dlq-source'],
    properties: {
      'dlq-reason': { type: 'string', description: 'which field is wrong, in words' },
      'dlq-source': {
        type: 'string',
        description: 'where it was: `redis:<outbox stream key>:<entry id>`',
      },
    },
  },
  payload: {
    type: 'object',
    description: "the outbox entry's fields as they were (strings)",
    additionalProperties: { type: 'string' },
  },
}

/** What the consumer dead-letters: the original record's bytes, headers and key, unchanged. */
const deadLetterMessage = {
  name: 'DeadLetter',
  title: 'A record the consumer could not apply',
  contentType: 'application/octet-stream',
  headers: {
    type: 'object',
    required: ['dlq-reason', 'dlq-source-topic', 'dlq-source-partition', 'dlq-source-offset'],
    properties: {
      'dlq-reason': {
        type: 'string',
        description: 'why it cannot be applied, in words (e.g. `/quantity: Expected integer`)',
      },
      'dlq-source-topic': { type: 'string', description: 'the topic it was read from' },
      'dlq-source-partition': Digits('the partition it was read from'),
      'dlq-source-offset': Digits('its offset in that partition'),
      traceparent: Traceparent,
    },
    additionalProperties: {
      type: 'string',
      description: 'the other headers of the original record, unchanged',
    },
  },
  payload: {
    type: 'string',
    format: 'binary',
    description: 'the value bytes of the original record, unchanged (they may not be JSON at all)',
  },
  bindings: {
    kafka: {
      key: {
        type: 'string',
        description: 'the key of the original record (the deal id), unchanged',
      },
      bindingVersion: KAFKA_BINDING_VERSION,
    },
  },
}

export const orderEventMessages = {
  OrderAccepted: orderAcceptedMessage,
  OrderReleased: orderReleasedMessage,
  OutboxDeadLetter: outboxDeadLetterMessage,
  DeadLetter: deadLetterMessage,
}
