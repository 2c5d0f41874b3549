import { type ITopicConfig, Kafka, logLevel } from 'kafkajs'
import type { Logger } from './logger'

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
}

/**
 * kafkajs errors it retries by itself and that a healthy start always meets: a broker that has
 * just started is still loading its group and transaction coordinators (for a few seconds after
 * `make infra-up`), so the first FindCoordinator / InitProducerId / JoinGroup answers say so.
 * kafkajs logs each such answer at error level and then retries; they are the expected wait,
 * not a failure, so they go to debug, with one info line per client saying what is awaited.
 * If the retries run out, the caller's own operation fails and is logged as the error it is.
 */
const COORDINATOR_STARTING = new Set([
  "The coordinator is loading and hence can't process requests for this group",
  "The coordinator is loading and hence can't process requests",
  'The group coordinator is not available',
  'The coordinator is not available',
  'This is not the correct coordinator for this group',
  'This is not the correct coordinator',
])

/**
 * kafkajs warns about an idempotent producer whose retries are bounded (ours are: a send must
 * give up so the relay can keep its entries in Redis and try again next round). Giving up can
 * only produce a record twice, which this design expects (at-least-once; the consumer inserts
 * by order id), so the warning describes the intended behaviour, not a problem.
 */
const EXPECTED_WARNINGS = new Set([
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
])

/** A kafkajs client whose own logs go through the service's JSON logger. */
export function createKafka(options: {
  clientId: string
  brokers: string[]
  logger: Logger
}): Kafka {
  const log = options.logger.child({ component: 'kafkajs' })
  let waitingAnnounced = false
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
        if (typeof fields.error === 'string' && COORDINATOR_STARTING.has(fields.error)) {
          if (!waitingAnnounced) {
            waitingAnnounced = true
            log.info('waiting for the Kafka coordinator to finish loading (kafkajs retries)', {
              broker: fields.broker,
            })
          }
          log.debug(message, fields)
          return
        }
        if (EXPECTED_WARNINGS.has(message)) {
          log.debug(message, fields)
          return
        }
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
