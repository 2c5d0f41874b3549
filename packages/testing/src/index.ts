/**
 * What the integration tests share: where the real servers are (`make test` starts its own and
 * exports their URLs; run alone, `bun test` uses the `make dev` ones), a logger that records
 * instead of printing so tests can assert on log output, requests to an app (`call`, `caller`),
 * places that do not answer (`deadUrls`, `silentServer`) and the readiness bed (`TestProcess`).
 */

export * from './dead'
export * from './http'
export * from './process'
export * from './recorders'
export * from './tokens'

export const testEnv = {
  databaseUrl:
    process.env.DATABASE_URL ?? 'postgres://flashdeal:flashdeal@127.0.0.1:5432/flashdeal',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  /** Set on a Redis Cluster (`make test-cluster`): its nodes, host:port,host:port. */
  redisClusterNodes: process.env.REDIS_CLUSTER_NODES || undefined,
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
}

export const uniqueSuffix = () =>
  `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
