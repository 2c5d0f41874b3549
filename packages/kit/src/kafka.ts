import { type ITopicConfig, Kafka, logLevel } from 'kafkajs'
import type { Logger } from './logger'

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
}

/** A kafkajs client whose own logs go through the service's JSON logger. */
export function createKafka(options: {
  clientId: string
  brokers: string[]
  logger: Logger
}): Kafka {
  const log = options.logger.child({ component: 'kafkajs' })
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...fields } = entry
        log[levels[level] ?? 'info'](message, fields)
      },
  })
}

/** Creates the topics that do not exist yet; the broker itself never auto-creates topics. */
export async function ensureTopics(kafka: Kafka, topics: ITopicConfig[]): Promise<string[]> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const missing = topics.filter((topic) => !existing.has(topic.topic))
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true })
    return missing.map((topic) => topic.topic)
  } finally {
    await admin.disconnect()
  }
}

export const parseBrokers = (value: string) =>
  value
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean)

export type { Kafka }

/**
 * A readiness probe for Kafka: one admin connection, opened on first use and reopened after a
 * failure, asking the cluster to describe itself.
 */
export function kafkaProbe(kafka: Kafka) {
  const admin = kafka.admin()
  let connected: Promise<void> | undefined
  return {
    check: async () => {
      connected ??= admin.connect().catch((error) => {
        connected = undefined
        throw error
      })
      await connected
      await admin.describeCluster()
    },
    close: () => admin.disconnect(),
  }
}
