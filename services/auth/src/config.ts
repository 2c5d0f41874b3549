import {
  baseConfig,
  databaseUrl,
  internalAuthSecret,
  port,
  redisClusterNodes,
  redisUrl,
  revocationRefreshMs,
} from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

export const AuthConfig = T.Object({
  ...baseConfig,
  INTERNAL_AUTH_SECRET: internalAuthSecret,
  REVOCATION_REFRESH_MS: revocationRefreshMs,
  PORT: port(8081),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  REDIS_CLUSTER_NODES: redisClusterNodes,
  JWT_ISSUER: T.String({ minLength: 1, default: 'flash-deal-auth' }),
  JWT_AUDIENCE: T.String({ minLength: 1, default: 'flash-deal' }),
  ACCESS_TOKEN_TTL_SECONDS: T.Integer({ minimum: 30, maximum: 86_400, default: 900 }),
  REFRESH_TOKEN_TTL_SECONDS: T.Integer({ minimum: 60, default: 14 * 86_400 }),
  /** Production: the private signing key as a JWK (JSON, with `kid`). Unset: a dev key on disk. */
  JWT_SIGNING_KEY: T.Optional(T.String({ minLength: 1 })),
  /** Public JWKs (a JSON array) still published during a rollover, e.g. the previous key. */
  JWT_PREVIOUS_KEYS: T.String({ default: '[]' }),
  /** Where the dev signing key is generated on first start (git-ignored). */
  JWT_KEY_DIR: T.String({ minLength: 1, default: '.state/keys' }),
  /** Attempts on one account from one address before the progressive delays start. */
  LOGIN_MAX_FAILURES_PER_ACCOUNT: T.Integer({ minimum: 1, default: 5 }),
  /** Attempts on one account from all the addresses it does not know before the delays start. */
  LOGIN_MAX_UNTRUSTED_FAILURES_PER_ACCOUNT: T.Integer({ minimum: 1, default: 20 }),
  /** Attempts from one address across accounts before the delays start. */
  LOGIN_MAX_FAILURES_PER_ADDRESS: T.Integer({ minimum: 1, default: 50 }),
  /** Counters last this long after the last attempt; also the longest delay. */
  LOGIN_LOCKOUT_SECONDS: T.Integer({ minimum: 1, default: 900 }),
  /** How long an address with a successful login is exempt from the account-wide throttle. */
  LOGIN_KNOWN_ADDRESS_DAYS: T.Integer({ minimum: 1, default: 30 }),
  /** argon2 hashes running at once, waiting at most, and how long one may wait (then 503). */
  PASSWORD_HASH_CONCURRENCY: T.Integer({ minimum: 1, default: 2 }),
  PASSWORD_HASH_QUEUE: T.Integer({ minimum: 0, default: 8 }),
  PASSWORD_HASH_MAX_WAIT_MS: T.Integer({ minimum: 10, default: 2000 }),
})

export type AuthConfig = typeof AuthConfig.static
