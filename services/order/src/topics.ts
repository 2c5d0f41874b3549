import { ORDERS_ACCEPTED, ORDERS_DLQ } from '@flash-deal/contracts'
import type { ITopicConfig } from 'kafkajs'

/** The topics the order side needs, as `create-topics` makes them (auto-create is off). */
export const orderTopics = (partitions: number): ITopicConfig[] => [
  { topic: ORDERS_ACCEPTED, numPartitions: partitions, replicationFactor: 1 },
  { topic: ORDERS_DLQ, numPartitions: 1, replicationFactor: 1 },
]
