import type { ITopicConfig } from 'kafkajs'

/** Accepted purchases, keyed by deal id so one deal's orders stay in order on one partition. */
export const ORDERS_ACCEPTED = 'orders.accepted'
/** Records the consumer cannot apply (schema-invalid, unknown deal), with the reason. */
export const ORDERS_DLQ = 'orders.dlq'

export const orderTopics = (partitions: number): ITopicConfig[] => [
  { topic: ORDERS_ACCEPTED, numPartitions: partitions, replicationFactor: 1 },
  { topic: ORDERS_DLQ, numPartitions: 1, replicationFactor: 1 },
]
