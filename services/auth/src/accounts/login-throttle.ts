/**
 * Brute-force protection for login: failed attempts are counted per account and per client
 * address in Redis, within a window. At the limit the login answers 429 with Retry-After until
 * the window ends; a successful login clears the account's counter.
 *
 * If Redis cannot be reached the login fails closed (503): without the counters the limit could
 * not hold.
 */
import { ServiceUnavailableError, TooManyRequestsError } from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'

export interface ThrottleLimits {
  maxFailuresPerAccount: number
  maxFailuresPerAddress: number
  windowSeconds: number
}

const accountKey = (email: string) => `auth:login-failures:account:${email}`
const addressKey = (address: string) => `auth:login-failures:address:${address}`

export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly limits: ThrottleLimits,
  ) {}

  async assertAllowed(email: string, address: string): Promise<void> {
    const results = await this.run(() =>
      this.redis
        .multi()
        .get(accountKey(email))
        .pttl(accountKey(email))
        .get(addressKey(address))
        .pttl(addressKey(address))
        .exec(),
    )
    const [accountCount, accountTtl, addressCount, addressTtl] = (results ?? []).map(
      ([, value]) => value,
    )
    const locked = (count: unknown, limit: number) => Number(count ?? 0) >= limit
    if (locked(accountCount, this.limits.maxFailuresPerAccount)) {
      throw new TooManyRequestsError(
        Number(accountTtl) / 1000,
        'Too many failed logins for this account',
      )
    }
    if (locked(addressCount, this.limits.maxFailuresPerAddress)) {
      throw new TooManyRequestsError(
        Number(addressTtl) / 1000,
        'Too many failed logins from this address',
      )
    }
  }

  async recordFailure(email: string, address: string): Promise<void> {
    const window = this.limits.windowSeconds
    await this.run(() =>
      this.redis
        .multi()
        .incr(accountKey(email))
        .expire(accountKey(email), window, 'NX')
        .incr(addressKey(address))
        .expire(addressKey(address), window, 'NX')
        .exec(),
    )
  }

  async recordSuccess(email: string): Promise<void> {
    await this.run(() => this.redis.del(accountKey(email)))
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command()
    } catch {
      throw new ServiceUnavailableError('Login is unavailable right now; try again shortly', 1)
    }
  }
}
