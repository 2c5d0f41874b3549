import { baseConfig, databaseUrl, port, redisUrl } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

export const AuthConfig = T.Object({
  ...baseConfig,
  PORT: port(8081),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
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
  LOGIN_MAX_FAILURES_PER_ACCOUNT: T.Integer({ minimum: 1, default: 5 }),
  LOGIN_MAX_FAILURES_PER_ADDRESS: T.Integer({ minimum: 1, default: 50 }),
  /** Failures count within this window, and a locked account or address waits it out. */
  LOGIN_LOCKOUT_SECONDS: T.Integer({ minimum: 1, default: 900 }),
})

export type AuthConfig = typeof AuthConfig.static
