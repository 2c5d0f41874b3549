/** Creates the Kafka topics flash-deal uses; the broker never auto-creates topics. Idempotent. */
import { ORDERS_ACCEPTED, ORDERS_DLQ, ORDERS_RELEASED } from '@flash-deal/contracts'
import { createLogger, kafkaBrokers, loadConfigOrExit } from '@flash-deal/kit'
import { createKafka, ensureTopics, parseBrokers } from '@flash-deal/kit/kafka'
import { Type as T } from '@sinclair/typebox'
import type { ITopicConfig } from 'kafkajs'

/**
 * The topics the order side needs. Their replication factor and min.insync.replicas are the
 * brokers' defaults: 1 on the single-node broker, 3 and 2 on the three-broker cluster
 * (TOPOLOGY=cluster), so an acks=all write there is on two brokers before it is acknowledged.
 */
const orderTopics = (partitions: number): ITopicConfig[] => [
  { topic: ORDERS_ACCEPTED, numPartitions: partitions },
  { topic: ORDERS_RELEASED, numPartitions: partitions },
  { topic: ORDERS_DLQ, numPartitions: 1 },
]

const config = loadConfigOrExit(
  'create-topics',
  T.Object({
    KAFKA_BROKERS: kafkaBrokers,
    KAFKA_PARTITIONS: T.Integer({ minimum: 1, default: 3 }),
  }),
)
const logger = createLogger({ level: 'warn', bindings: { service: 'create-topics' } })
const kafka = createKafka({
  clientId: 'create-topics',
  brokers: parseBrokers(config.KAFKA_BROKERS),
  logger,
})

const created = await ensureTopics(kafka, orderTopics(config.KAFKA_PARTITIONS))
console.log(
  created.length > 0
    ? `create-topics: created ${created.join(', ')}`
    : 'create-topics: all topics exist',
)
