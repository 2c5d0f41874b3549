import type { Db, Queries, QueriesFor, Sql } from '@flash-deal/db'
import { DomainError, ServiceUnavailableError } from '@flash-deal/kit'
import type { Role } from '@flash-deal/kit/jwt'
import type { Redis } from '@flash-deal/kit/redis'
import {
  REVOKED_SESSIONS_KEY,
  type RevokedSessions,
  revokedUntil,
} from '@flash-deal/kit/revocation'
import type { SigningKeys } from '../keys/key-store'
import {
  hashRefreshToken,
  newRefreshToken,
  signAccessToken,
  type TokenPair,
  type TokenSettings,
} from '../tokens/tokens'

export class InvalidRefreshTokenError extends DomainError {
  constructor(detail = 'The refresh token is not valid') {
    super(401, 'invalid-refresh-token', 'Invalid refresh token', detail)
  }
}

/**
 * Sessions: a session is a refresh-token family in Postgres, each login starts one and each
 * refresh rotates it; ending one (logout, a replayed token) also puts it on the Redis denylist
 * every verifier copies. The one writer of refresh tokens and of that denylist.
 */
export class Sessions {
  constructor(
    private readonly deps: {
      sql: Sql
      keys: SigningKeys
      tokens: TokenSettings
      redis: Redis
      revoked: RevokedSessions
      queriesFor: QueriesFor
    },
  ) {}

  /**
   * Rotates a refresh token. A token that was already rotated is being replayed, most likely
   * by someone who stole it: the whole family is revoked, so the thief and the victim both have
   * to log in again.
   */
  async rotate(refreshToken: string): Promise<TokenPair> {
    const queries = this.deps.queriesFor()
    const { sql } = this.deps
    const stored = await queries.getRefreshTokenByHash(sql, {
      tokenHash: hashRefreshToken(refreshToken),
    })
    if (!stored || stored.revokedAt) throw new InvalidRefreshTokenError()
    if (stored.rotatedAt) {
      await queries.revokeRefreshFamily(sql, { familyId: stored.familyId })
      await this.revoke(stored.familyId)
      throw new InvalidRefreshTokenError(
        'The refresh token was already used; its session is revoked',
      )
    }
    if (stored.expiresAt.getTime() <= Date.now())
      throw new InvalidRefreshTokenError('The refresh token has expired')

    const pair = await sql.begin(async (tx) => {
      if ((await queries.rotateRefreshToken(tx, { id: stored.id })) === 0) return null
      return this.start(queries, stored.userId, stored.role as Role, stored.familyId, tx)
    })
    if (!pair) {
      // A concurrent refresh with the same token won the race: that is a replay too.
      await queries.revokeRefreshFamily(sql, { familyId: stored.familyId })
      await this.revoke(stored.familyId)
      throw new InvalidRefreshTokenError(
        'The refresh token was already used; its session is revoked',
      )
    }
    return pair
  }

  /** Ends the session (refresh-token family) an access token was issued for. */
  async end(sessionId: string): Promise<void> {
    await this.deps.queriesFor().revokeRefreshFamily(this.deps.sql, { familyId: sessionId })
    await this.revoke(sessionId)
  }

  /**
   * Puts the session on the denylist every verifier copies (gateway, product, order, auth), so
   * its access tokens stop working within a refresh period instead of at their expiry. Entries
   * whose tokens have all expired are dropped on the way. If Redis is down this throws (503):
   * the caller must not be told the session is over while its tokens still work.
   */
  private async revoke(sessionId: string) {
    const now = Date.now()
    await this.deps.redis
      .multi()
      .zadd(REVOKED_SESSIONS_KEY, revokedUntil(this.deps.tokens.accessTtlSeconds, now), sessionId)
      .zremrangebyscore(REVOKED_SESSIONS_KEY, '-inf', `(${now}`)
      .exec()
      .catch(() => {
        throw new ServiceUnavailableError('Could not end the session; try again shortly', 1)
      })
    this.deps.revoked.add(sessionId)
  }

  /** Starts a session (a new family) or continues one: a refresh token and an access token. */
  async start(
    queries: Queries,
    userId: string,
    role: Role,
    familyId: string,
    db: Db = this.deps.sql,
  ) {
    const { keys, tokens } = this.deps
    const refreshToken = newRefreshToken()
    await queries.insertRefreshToken(db, {
      userId,
      familyId,
      tokenHash: hashRefreshToken(refreshToken),
      expiresAt: new Date(Date.now() + tokens.refreshTtlSeconds * 1000),
    })
    const accessToken = await signAccessToken(keys, tokens, { userId, role, sessionId: familyId })
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: tokens.accessTtlSeconds,
    } satisfies TokenPair
  }
}
