import {
  baseConfig,
  httpUrl,
  internalAuthSecret,
  port,
  redisClusterNodes,
  redisUrl,
  revocationRefreshMs,
} from '@flash-deal/kit'
import { type Static, Type as T } from '@sinclair/typebox'

export const GatewayConfig = T.Object({
  ...baseConfig,
  INTERNAL_AUTH_SECRET: internalAuthSecret,
  REVOCATION_REFRESH_MS: revocationRefreshMs,
  PORT: port(8080),
  REDIS_URL: redisUrl,
  REDIS_CLUSTER_NODES: redisClusterNodes,
  AUTH_URL: httpUrl('http://127.0.0.1:8081'),
  PRODUCT_URL: httpUrl('http://127.0.0.1:8082'),
  ORDER_URL: httpUrl('http://127.0.0.1:8083'),
  /** Where the auth service publishes the keys that verify access tokens. */
  JWKS_URL: httpUrl('http://127.0.0.1:8081/.well-known/jwks.json'),
  JWT_ISSUER: T.String({ minLength: 1, default: 'flash-deal-auth' }),
  JWT_AUDIENCE: T.String({ minLength: 1, default: 'flash-deal' }),
  /** How long the gateway waits for an upstream before answering 504. */
  UPSTREAM_TIMEOUT_MS: T.Integer({ minimum: 50, maximum: 120_000, default: 5000 }),
  /** async (Phase 2): reserve in Redis, 202. sync (Phase 1): the order service's Postgres transaction, 201. */
  ORDER_MODE: T.Union([T.Literal('async'), T.Literal('sync')], { default: 'async' }),
  /** Which Redis adapter the gateway uses: ioredis over TCP, or Upstash's REST API over HTTP. */
  REDIS_DRIVER: T.Union([T.Literal('ioredis'), T.Literal('upstash')], { default: 'ioredis' }),
  /**
   * Replicas of the deal's Redis node that must have a reservation before it is answered 202
   * (`WAIT`, purchase/replica-wait.ts). Unset: 1 with REDIS_CLUSTER_NODES, 0 (no wait) without.
   */
  REDIS_WAIT_REPLICAS: T.Optional(T.Integer({ minimum: 0, maximum: 5 })),
  /** How long a purchase waits for those replicas before answering 503. */
  REDIS_WAIT_TIMEOUT_MS: T.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  UPSTASH_REDIS_REST_URL: T.Optional(T.String({ pattern: '^https?://' })),
  UPSTASH_REDIS_REST_TOKEN: T.Optional(T.String({ minLength: 1 })),
  /** Purchase attempts per second per user, and the burst allowed; 0 turns the limit off. */
  PURCHASE_RATE_PER_USER: T.Number({ minimum: 0, default: 5 }),
  PURCHASE_BURST_PER_USER: T.Integer({ minimum: 1, default: 10 }),
  /** Purchase attempts per second per client address, and the burst; 0 turns the limit off. */
  PURCHASE_RATE_PER_ADDRESS: T.Number({ minimum: 0, default: 200 }),
  PURCHASE_BURST_PER_ADDRESS: T.Integer({ minimum: 1, default: 400 }),
  /** Sign-ups and logins per second per client address, and the burst; 0 turns the limit off. */
  AUTH_RATE_PER_ADDRESS: T.Number({ minimum: 0, default: 2 }),
  AUTH_BURST_PER_ADDRESS: T.Integer({ minimum: 1, default: 20 }),
})

export type GatewayConfigValues = Static<typeof GatewayConfig>
