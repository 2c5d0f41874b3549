/**
 * What the integration tests share: where the real servers are (`make test` starts its own and
 * exports their URLs; run alone, `bun test` uses the `make dev` ones), and a logger that records
 * instead of printing so tests can assert on log output.
 */
import { createLogger, type Logger } from '@flash-deal/kit'

export const testEnv = {
  databaseUrl:
    process.env.DATABASE_URL ?? 'postgres://flashdeal:flashdeal@127.0.0.1:5432/flashdeal',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
}

/** A Redis URL nothing listens on, for testing how code behaves when Redis is down. */
export const deadRedisUrl = 'redis://127.0.0.1:1'

export interface RecordingLogger extends Logger {
  lines: Record<string, unknown>[]
}

export function recordingLogger(): RecordingLogger {
  const lines: Record<string, unknown>[] = []
  const logger = createLogger({ level: 'debug', sink: (line) => lines.push(JSON.parse(line)) })
  return Object.assign(logger, { lines })
}

/** Absolute repository root, for tests that spawn a service's entry point. */
export const repoRoot = new URL('../../../', import.meta.url).pathname

export const uniqueSuffix = () =>
  `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
