/**
 * Brute-force protection for login, after OWASP's guidance: throttle per account *and* per
 * address, with progressive delays instead of a hard lock, and without letting a stranger lock
 * the owner out of the addresses they already use.
 *
 * - per (account, address): `maxFailuresPerAccount` attempts, then each further attempt from that
 *   address on that account waits 1 s, 2 s, 4 s... (capped at `windowSeconds`);
 * - per account, from addresses it does not know: `maxUntrustedFailuresPerAccount` attempts, then
 *   the same progressive delays for every unknown address (a distributed guesser gets no more
 *   tries than one), while known addresses (a successful login there in the last
 *   `knownAddressDays`) are exempt;
 * - per address, across accounts: `maxFailuresPerAddress`, then progressive delays (spraying).
 *
 * The attempt is counted and the decision taken in one Lua call, *before* the password is
 * checked, so concurrent attempts cannot slip past the limit together; a success uncounts it.
 * Counters expire a window after the last attempt. If Redis cannot be reached the login fails
 * closed (503): without the counters the limits could not hold.
 */
import { ServiceUnavailableError, TooManyRequestsError } from '@flash-deal/kit'
import { defineLuaScript, type LuaEvaluator } from '@flash-deal/kit/lua'
import loginAttemptLua from './login-attempt.lua' with { type: 'text' }
import loginSuccessLua from './login-success.lua' with { type: 'text' }

export interface ThrottleLimits {
  /** Attempts on one account from one address before the delays start. */
  maxFailuresPerAccount: number
  /** Attempts on one account from all unknown addresses before the delays start. */
  maxUntrustedFailuresPerAccount?: number
  /** Attempts from one address across accounts before the delays start. */
  maxFailuresPerAddress: number
  /** Counters live this long after the last attempt; the longest delay. */
  windowSeconds: number
  /** The first delay after a limit; it doubles per attempt. */
  baseDelayMs?: number
  /** How long an address with a successful login stays known to the account. */
  knownAddressDays?: number
}

// The account's keys share a hash tag (one slot); the address key is global to the address.
/**
 * The throttle's keys for one attempt: the (account, address) pair, the account's failures from
 * unknown addresses, its known addresses, and the address's failures. One script counts and
 * decides over all four at once, so they share one hash tag (`{auth:login}`): on a Redis Cluster
 * every login-throttle key lives in one slot (a script naming two slots fails with CROSSSLOT).
 * Logins are bounded by argon2 to a few hundred a second, which one node serves easily.
 */
export const loginThrottleKeys = (email: string, address: string) => [
  `auth:{login}:${email}:pair:${address}`,
  `auth:{login}:${email}:untrusted`,
  `auth:{login}:${email}:known`,
  `auth:{login}:address:${address}`,
]
const keysOf = loginThrottleKeys

const REFUSALS: Record<string, string> = {
  pair: 'Too many failed logins for this account from this address; wait before trying again',
  account:
    'Too many failed logins for this account from unknown addresses; wait before trying again',
  address: 'Too many failed logins from this address; wait before trying again',
}

const loginAttempt = defineLuaScript('login-attempt', loginAttemptLua)
const loginSuccess = defineLuaScript('login-success', loginSuccessLua)

/** What `assertAllowed` counted, to be handed back to `recordSuccess`. */
export interface LoginAttempt {
  email: string
  address: string
  known: boolean
}

export class LoginThrottle {
  private readonly redis: LuaEvaluator
  private readonly limits: ThrottleLimits

  constructor(options: { redis: LuaEvaluator; limits: ThrottleLimits }) {
    this.redis = options.redis
    this.limits = options.limits
  }

  /** Counts the attempt and refuses it (429 + Retry-After) when a throttle is waiting. */
  async assertAllowed(email: string, address: string): Promise<LoginAttempt> {
    const { limits } = this
    const windowMs = limits.windowSeconds * 1000
    const [allowed, value, dimension] = (await this.run(() =>
      loginAttempt.run(this.redis, keysOf(email, address), [
        address,
        limits.maxFailuresPerAccount,
        limits.maxUntrustedFailuresPerAccount ?? limits.maxFailuresPerAccount * 4,
        limits.maxFailuresPerAddress,
        windowMs,
        limits.baseDelayMs ?? 1000,
        windowMs,
      ]),
    )) as [number, number, string | number]
    if (allowed !== 1) {
      throw new TooManyRequestsError(
        Number(value) / 1000,
        REFUSALS[String(dimension)] ?? 'Too many failed logins',
      )
    }
    return { email, address, known: dimension === 1 }
  }

  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    const knownMs = (this.limits.knownAddressDays ?? 30) * 86_400_000
    await this.run(() =>
      loginSuccess.run(this.redis, keysOf(attempt.email, attempt.address), [
        attempt.address,
        attempt.known ? 1 : 0,
        knownMs,
      ]),
    )
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command()
    } catch {
      throw new ServiceUnavailableError('Login is unavailable right now; try again shortly', 1)
    }
  }
}
