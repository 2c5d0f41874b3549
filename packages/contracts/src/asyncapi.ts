import type { TSchema } from '@sinclair/typebox'
import { orderEventMessages } from './asyncapi-messages'
import { OrderAcceptedV1 } from './order-accepted'
import { OrderReleasedV1 } from './order-released'
import { ORDERS_ACCEPTED, ORDERS_DLQ, ORDERS_RELEASED } from './topics'

/**
 * The AsyncAPI 3.0 document of the order events (`api/order-events.asyncapi.yaml`, written by
 * `make asyncapi`). The event payload is the TypeBox schema producer and consumer validate
 * with, converted here rather than copied by hand, so the document cannot drift from the code.
 */

/** What the document is about: an accepted purchase's way to Postgres, and checkout's releases. */
const info = {
  title: 'flash-deal order events',
  version: '1.0.0',
  description:
    'How an accepted purchase reaches Postgres in async mode. The gateway reserves stock in Redis and appends the order to an outbox stream in one Lua call; the order relay drains the outbox to `orders.accepted`; the order consumer applies each event exactly once per `orderId` (delivery is at least once) and dead-letters what it can never apply to `orders.dlq`. Checkout: a held order that expires unpaid or is cancelled is released in one Postgres transaction (with a row in the `order_releases` outbox); the order service gives Redis the units straight from that outbox and publishes it to `orders.released` for every other reader.',
}

/** The dev broker the channels live on. */
const servers = {
  local: {
    host: '127.0.0.1:9092',
    protocol: 'kafka',
    description:
      'The dev broker (`make infra-up`; KAFKA_BROKERS). Topics are created by `make topics`; the broker never auto-creates them.',
  },
}

/** The three topics, each with the messages it carries. */
const channels = {
  ordersAccepted: {
    address: ORDERS_ACCEPTED,
    title: 'Accepted orders',
    description: 'One record per purchase the gateway answered 202 for.',
    messages: { orderAccepted: { $ref: '#/components/messages/OrderAccepted' } },
  },
  ordersReleased: {
    address: ORDERS_RELEASED,
    title: 'Released orders',
    description:
      'One record (at least once) per held order expired or cancelled, whose units went back on sale.',
    messages: { orderReleased: { $ref: '#/components/messages/OrderReleased' } },
  },
  ordersDlq: {
    address: ORDERS_DLQ,
    title: 'Dead letters',
    description:
      'Records that can never be applied, kept for a human with the reason and where they came from: Kafka records the consumer cannot apply (not an OrderAccepted v1, unknown deal or user) and, rarer, outbox entries the relay cannot read.',
    messages: {
      deadLetter: { $ref: '#/components/messages/DeadLetter' },
      outboxDeadLetter: { $ref: '#/components/messages/OutboxDeadLetter' },
    },
  },
}

/** Who sends and who receives on each channel. */
const operations = {
  relaySendsOrderAccepted: {
    action: 'send',
    channel: { $ref: '#/channels/ordersAccepted' },
    title: 'The order relay publishes accepted orders',
    description:
      'Reads outbox entries from Redis in batches, produces them (acks = all) and only then acknowledges them in Redis, so a crash repeats records rather than losing them.',
    messages: [{ $ref: '#/channels/ordersAccepted/messages/orderAccepted' }],
  },
  consumerReceivesOrderAccepted: {
    action: 'receive',
    channel: { $ref: '#/channels/ordersAccepted' },
    title: 'The order consumer applies accepted orders',
    description:
      'Upserts the orders and decrements deal stock in Postgres, one transaction per batch, keyed by `orderId` so duplicates change nothing. Offsets are committed after the transaction.',
    messages: [{ $ref: '#/channels/ordersAccepted/messages/orderAccepted' }],
  },
  orderServiceSendsOrderReleased: {
    action: 'send',
    channel: { $ref: '#/channels/ordersReleased' },
    title: 'The order service publishes released orders',
    description:
      'Locks a batch of unpublished rows of the `order_releases` outbox (SKIP LOCKED), produces them (acks = all) and marks them published in the same transaction, so a crash repeats records rather than losing them: readers dedupe by `orderId`. Redis does not read this topic: the release sweeper applies the same outbox to it directly.',
    messages: [{ $ref: '#/channels/ordersReleased/messages/orderReleased' }],
  },
  relaySendsOutboxDeadLetter: {
    action: 'send',
    channel: { $ref: '#/channels/ordersDlq' },
    title: 'The order relay dead-letters an outbox entry that is not an OrderAccepted',
    messages: [{ $ref: '#/channels/ordersDlq/messages/outboxDeadLetter' }],
  },
  consumerSendsDeadLetter: {
    action: 'send',
    channel: { $ref: '#/channels/ordersDlq' },
    title: 'The order consumer dead-letters what it cannot apply',
    messages: [{ $ref: '#/channels/ordersDlq/messages/deadLetter' }],
  },
}

/** A TypeBox schema as plain JSON Schema: no TypeBox symbols, and its `$id` left to the name. */
function jsonSchemaOf(schema: TSchema): Record<string, unknown> {
  const { $id: _, ...plain } = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>
  return plain
}

export function orderEventsDocument() {
  return {
    asyncapi: '3.0.0',
    info,
    defaultContentType: 'application/json',
    servers,
    channels,
    operations,
    components: {
      messages: orderEventMessages,
      schemas: {
        OrderAcceptedV1: jsonSchemaOf(OrderAcceptedV1),
        OrderReleasedV1: jsonSchemaOf(OrderReleasedV1),
      },
    },
  }
}
