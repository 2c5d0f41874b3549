import {
  ServiceUnavailableError,
  type Telemetry,
  TooManyRequestsError,
  telemetryOff,
  withRedisSpan,
} from '@flash-deal/kit'
import type { LuaScript, RedisPort } from '../redis/port'

export interface BucketLimit {
  /** Tokens added per second; 0 turns this bucket off. */
  perSecond: number
  burst: number
}

export interface PurchaseRateLimits {
  user: BucketLimit
  address: BucketLimit
}

// One bucket per user and one per client address, each in its own hash slot.
const userBucketKey = (userId: string) => `ratelimit:{user:${userId}}`
const addressBucketKey = (address: string) => `ratelimit:{addr:${address}}`

/**
 * Purchase attempts are limited per user and per client address before anything is reserved,
 * so one client hammering the button cannot crowd out the others. Both buckets are asked in
 * parallel (one pipeline); either one empty is a 429 with `Retry-After`.
 */
export function purchaseRateLimiter(
  port: RedisPort,
  script: LuaScript,
  limits: PurchaseRateLimits,
  telemetry: Telemetry = telemetryOff('gateway'),
) {
  const take = async (key: string, limit: BucketLimit) => {
    if (limit.perSecond <= 0) return 0
    const [allowed, waitMs] = (await withRedisSpan(telemetry, `EVALSHA ${script.name}`, () =>
      port.run(script, [key], [limit.perSecond, limit.burst]),
    )) as [number, number]
    return allowed === 1 ? 0 : waitMs
  }
  // The client address is looked up only when its bucket is on (the lookup is not free).
  return async function checkRateLimit(userId: string, addressOf: () => string | undefined) {
    if (limits.user.perSecond <= 0 && limits.address.perSecond <= 0) return
    const address = limits.address.perSecond > 0 ? addressOf() : undefined
    const waits = await Promise.all([
      take(userBucketKey(userId), limits.user),
      address ? take(addressBucketKey(address), limits.address) : 0,
    ])
    const waitMs = Math.max(...waits)
    if (waitMs > 0) throw new TooManyRequestsError(waitMs / 1000, 'Too many purchase attempts')
  }
}

const authBucketKey = (address: string) => `ratelimit:{auth-addr:${address}}`

/**
 * Sign-ups and logins per client address (the socket address the gateway sees — the trusted
 * hop, never a forwarded header), before the request reaches auth: each costs an argon2 hash,
 * so one address must not be able to keep auth's hashing slots busy. Redis unreachable is 503.
 */
export function authRateLimiter(
  port: RedisPort,
  script: LuaScript,
  limit: BucketLimit,
  telemetry: Telemetry = telemetryOff('gateway'),
) {
  return async function checkAuthRateLimit(address: string | undefined) {
    if (limit.perSecond <= 0 || !address) return
    let answer: [number, number]
    try {
      answer = (await withRedisSpan(telemetry, `EVALSHA ${script.name}`, () =>
        port.run(script, [authBucketKey(address)], [limit.perSecond, limit.burst]),
      )) as [number, number]
    } catch {
      throw new ServiceUnavailableError('Sign-up and login are unavailable right now', 1)
    }
    const [allowed, waitMs] = answer
    if (allowed !== 1)
      throw new TooManyRequestsError(
        waitMs / 1000,
        'Too many sign-ups and logins from this address',
      )
  }
}
