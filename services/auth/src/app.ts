import { queries, type Sql, tracedQueries } from '@flash-deal/db'
import { createServiceApp, type Logger, type Telemetry } from '@flash-deal/kit'
import type { InternalTokenVerifier } from '@flash-deal/kit/internal-auth'
import { createTokenVerifier } from '@flash-deal/kit/jwt'
import { type Redis, revokedSessionsOn } from '@flash-deal/kit/redis'
import type { RevokedSessions } from '@flash-deal/kit/revocation'
import { createLocalJWKSet } from 'jose'
import { accountsController } from './accounts/controller'
import { type HashingLimits, HashingSlots } from './accounts/hashing'
import { LoginThrottle, type ThrottleLimits } from './accounts/login-throttle'
import { AccountService } from './accounts/service'
import type { SigningKeys } from './keys/key-store'
import type { TokenSettings } from './tokens/tokens'

export interface AuthDeps {
  sql: Sql
  redis: Redis
  logger: Logger
  keys: SigningKeys
  tokens: TokenSettings
  throttle: ThrottleLimits
  /** Concurrent argon2 work; defaults to two at a time, eight waiting, two seconds each. */
  hashing?: HashingLimits
  /** Verifies the gateway's X-Internal-Token: only the gateway may call `/v1/*`. */
  internalAuth: InternalTokenVerifier
  /** The local copy of revoked sessions (main.ts starts its refresh timer). */
  revoked?: RevokedSessions
  maxBodyBytes?: number
  /** Tracing (a server span per request); off when absent. */
  telemetry?: Telemetry
}

/** The auth service's HTTP surface, built from injected clients; it never listens itself. */
export function createApp({
  sql,
  redis,
  logger,
  keys,
  tokens,
  throttle,
  hashing = { concurrency: 2, queueLimit: 8, maxWaitMs: 2000 },
  internalAuth: internalTokens,
  revoked = revokedSessionsOn(redis, 1000, logger),
  maxBodyBytes,
  telemetry,
}: AuthDeps) {
  const accounts = new AccountService({
    redis,
    revoked,
    hashing: new HashingSlots(hashing),
    sql,
    keys,
    tokens,
    throttle: new LoginThrottle({ redis, limits: throttle }),
    queriesFor: tracedQueries(telemetry, { databaseName: sql.options.database }),
  })
  // The auth service verifies its own tokens with the same module as everyone else, against
  // the keys it publishes.
  const verifier = createTokenVerifier({
    keys: createLocalJWKSet(keys.jwks),
    issuer: tokens.issuer,
    audience: tokens.audience,
    revoked,
  })
  return createServiceApp({
    name: 'auth',
    version: '1.0.0',
    description:
      'Accounts, login, rotating refresh tokens and the JWKS that other services verify with.',
    logger,
    maxBodyBytes,
    telemetry,
    internalAuth: internalTokens,
    readiness: {
      postgres: () => queries.ping(sql),
      redis: () => redis.ping(),
    },
  })
    .get(
      '/.well-known/jwks.json',
      ({ set }) => {
        set.headers['cache-control'] = 'public, max-age=300'
        return keys.jwks
      },
      { detail: { tags: ['auth'], summary: 'Public keys that verify access tokens' } },
    )
    .use(accountsController(accounts, verifier))
}
