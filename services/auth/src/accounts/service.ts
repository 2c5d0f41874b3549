import { type QueriesFor, type Sql, untracedQueries } from '@flash-deal/db'
import { ConflictError, DomainError, UnauthorizedError, ValidationError } from '@flash-deal/kit'
import type { AccessClaims, Role } from '@flash-deal/kit/jwt'
import type { Redis } from '@flash-deal/kit/redis'
import type { RevokedSessions } from '@flash-deal/kit/revocation'
import type { SigningKeys } from '../keys/key-store'
import type { TokenPair, TokenSettings } from '../tokens/tokens'
import type { HashingSlots } from './hashing'
import type { LoginThrottle } from './login-throttle'
import type { LoginBody, SignupBody, UserView } from './model'
import { Sessions } from './sessions'

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
  private readonly sessions: Sessions

  constructor(private readonly deps: AccountDeps) {
    this.queriesFor = deps.queriesFor ?? untracedQueries
    this.sessions = new Sessions({ ...deps, queriesFor: this.queriesFor })
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
    return this.sessions.start(queries, user.id, user.role as Role, crypto.randomUUID())
  }

  /** Rotates a refresh token (Sessions.rotate: a replayed one revokes its session). */
  refresh(refreshToken: string): Promise<TokenPair> {
    return this.sessions.rotate(refreshToken)
  }

  /** Revokes the session (refresh-token family) the access token was issued for. */
  logout(user: AccessClaims): Promise<void> {
    return this.sessions.end(user.sid)
  }

  async me(user: AccessClaims): Promise<UserView> {
    const found = await this.queriesFor().getUserById(this.deps.sql, { id: user.sub })
    if (!found) throw new UnauthorizedError('The account no longer exists')
    return toView(found)
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
