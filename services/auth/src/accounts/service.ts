import { type Db, type Queries, type QueriesFor, type Sql, untracedQueries } from '@flash-deal/db'
import {
  ConflictError,
  DomainError,
  ServiceUnavailableError,
  UnauthorizedError,
  ValidationError,
} from '@flash-deal/kit'
import type { AccessClaims, Role } from '@flash-deal/kit/jwt'
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
import type { HashingSlots } from './hashing'
import type { LoginThrottle } from './login-throttle'
import type { LoginBody, SignupBody, UserView } from './model'

const PASSWORD_HASH = { algorithm: 'argon2id' } as const

export class InvalidCredentialsError extends DomainError {
  constructor() {
    super(
      401,
      'invalid-credentials',
      'Invalid email or password',
      'The email or the password is wrong',
    )
  }
}

export class InvalidRefreshTokenError extends DomainError {
  constructor(detail = 'The refresh token is not valid') {
    super(401, 'invalid-refresh-token', 'Invalid refresh token', detail)
  }
}

export const normaliseEmail = (email: string) => email.trim().toLowerCase()

/** The password rules beyond length (which the schema checks). */
export function assertPasswordPolicy(password: string, email: string) {
  const lowered = password.trim().toLowerCase()
  if (lowered === email || lowered === email.split('@')[0]) {
    throw new ValidationError('body.password: must not be your email address', [
      { field: 'body.password', message: 'must not be your email address' },
    ])
  }
}

export interface AccountDeps {
  sql: Sql
  keys: SigningKeys
  tokens: TokenSettings
  throttle: LoginThrottle
  /** Bounds concurrent argon2 work (503 + Retry-After beyond it). */
  hashing: HashingSlots
  /** Where revoked sessions are recorded for every verifier (decisions §2). */
  redis: Redis
  revoked: RevokedSessions
  /** The query functions for a request (their spans under its span when tracing is on). */
  queriesFor?: QueriesFor
}

export class AccountService {
  // Verified against when the email is unknown, so both failures cost the same argon2 work.
  private readonly decoyHash = Bun.password.hash(crypto.randomUUID(), PASSWORD_HASH)

  private readonly queriesFor: QueriesFor

  constructor(private readonly deps: AccountDeps) {
    this.queriesFor = deps.queriesFor ?? untracedQueries
  }

  async signup(input: SignupBody): Promise<UserView> {
    const queries = this.queriesFor()
    const email = normaliseEmail(input.email)
    assertPasswordPolicy(input.password, email)
    const passwordHash = await this.deps.hashing.run(() =>
      Bun.password.hash(input.password, PASSWORD_HASH),
    )
    const user = await queries.createUser(this.deps.sql, {
      email,
      passwordHash,
      displayName: input.displayName?.trim() || null,
    })
    if (!user)
      throw new ConflictError(
        'email-taken',
        'Email already registered',
        `${email} already has an account`,
      )
    return toView(user)
  }

  async login(input: LoginBody, clientAddress: string): Promise<TokenPair> {
    const queries = this.queriesFor()
    const email = normaliseEmail(input.email)
    // The slot is taken before the attempt is counted: an attempt refused for load (503) was
    // never evaluated and must not count against the account.
    const user = await this.deps.hashing.run(async () => {
      // Counted and decided in one Redis step, before the password is looked at.
      const attempt = await this.deps.throttle.assertAllowed(email, clientAddress)
      const found = await queries.getUserByEmail(this.deps.sql, { email })
      const valid = await Bun.password.verify(
        input.password,
        found?.passwordHash ?? (await this.decoyHash),
      )
      if (!found || !valid) throw new InvalidCredentialsError()
      await this.deps.throttle.recordSuccess(attempt)
      return found
    })
    return this.issue(queries, user.id, user.role as Role, crypto.randomUUID())
  }

  /**
   * Rotates a refresh token. A token that was already rotated is being replayed, most likely
   * by someone who stole it: the whole family is revoked, so the thief and the victim both have
   * to log in again.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const queries = this.queriesFor()
    const { sql } = this.deps
    const stored = await queries.getRefreshTokenByHash(sql, {
      tokenHash: hashRefreshToken(refreshToken),
    })
    if (!stored || stored.revokedAt) throw new InvalidRefreshTokenError()
    if (stored.rotatedAt) {
      await queries.revokeRefreshFamily(sql, { familyId: stored.familyId })
      await this.revokeSession(stored.familyId)
      throw new InvalidRefreshTokenError(
        'The refresh token was already used; its session is revoked',
      )
    }
    if (stored.expiresAt.getTime() <= Date.now())
      throw new InvalidRefreshTokenError('The refresh token has expired')

    const pair = await sql.begin(async (tx) => {
      if ((await queries.rotateRefreshToken(tx, { id: stored.id })) === 0) return null
      return this.issue(queries, stored.userId, stored.role as Role, stored.familyId, tx)
    })
    if (!pair) {
      // A concurrent refresh with the same token won the race: that is a replay too.
      await queries.revokeRefreshFamily(sql, { familyId: stored.familyId })
      await this.revokeSession(stored.familyId)
      throw new InvalidRefreshTokenError(
        'The refresh token was already used; its session is revoked',
      )
    }
    return pair
  }

  /** Revokes the session (refresh-token family) the access token was issued for. */
  async logout(user: AccessClaims): Promise<void> {
    await this.queriesFor().revokeRefreshFamily(this.deps.sql, { familyId: user.sid })
    await this.revokeSession(user.sid)
  }

  /**
   * Puts the session on the denylist every verifier copies (gateway, product, order, auth), so
   * its access tokens stop working within a refresh period instead of at their expiry. Entries
   * whose tokens have all expired are dropped on the way. If Redis is down this throws (503):
   * the caller must not be told the session is over while its tokens still work.
   */
  private async revokeSession(sessionId: string) {
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

  async me(user: AccessClaims): Promise<UserView> {
    const found = await this.queriesFor().getUserById(this.deps.sql, { id: user.sub })
    if (!found) throw new UnauthorizedError('The account no longer exists')
    return toView(found)
  }

  private async issue(
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

function toView(user: {
  id: string
  email: string
  role: string
  displayName: string | null
}): UserView {
  return {
    id: user.id,
    email: user.email,
    role: user.role as Role,
    ...(user.displayName ? { displayName: user.displayName } : {}),
  }
}
