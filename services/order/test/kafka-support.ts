/** Kafka helpers for the order tests: a topic of their own, and reading it back. */
import { createKafka, ensureTopics, type Kafka } from '@flash-deal/kit/kafka'
import { recordingLogger, testEnv, uniqueSuffix } from '@flash-deal/testing'
import type { KafkaMessage } from 'kafkajs'

export const kafka: Kafka = createKafka({
  clientId: 'order-it',
  brokers: testEnv.kafkaBrokers,
  logger: recordingLogger(),
})

/** Fresh topics for one test file, deleted afterwards by `dropTopics`. */
export async function freshTopics(...names: string[]) {
  const suffix = uniqueSuffix()
  const topics = names.map((name) => `it.${name}.${suffix}`)
  await ensureTopics(
    kafka,
    topics.map((topic) => ({ topic, numPartitions: 2, replicationFactor: 1 })),
  )
  return topics
}

export async function dropTopics(topics: string[]) {
  const admin = kafka.admin()
  await admin.connect()
  await admin.deleteTopics({ topics }).catch(() => {})
  await admin.disconnect()
}

/** Reads a topic from the beginning until `count` messages arrived (or the time is up). */
export async function readTopic(topic: string, count: number, timeoutMs = 15_000) {
  const consumer = kafka.consumer({ groupId: `it-reader-${uniqueSuffix()}` })
  const messages: KafkaMessage[] = []
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const done = new Promise<void>((resolve) => {
    consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(message)
        if (messages.length >= count) resolve()
      },
    })
  })
  await Promise.race([done, Bun.sleep(timeoutMs)])
  // A little longer, to catch messages beyond the expected count (duplicates).
  await Bun.sleep(300)
  await consumer.disconnect()
  return messages
}

export const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString()
