import {
  ServiceUnavailableError,
  type Telemetry,
  TooManyRequestsError,
  telemetryOff,
  withRedisSpan,
} from '@flash-deal/kit'
import { defineLuaScript } from '@flash-deal/kit/lua'
import type { RedisPort } from '../redis/port'
import tokenBucketLua from './token-bucket.lua' with { type: 'text' }

export interface BucketLimit {
  /** Tokens added per second; 0 turns this bucket off. */
  perSecond: number
  burst: number
}

export interface PurchaseRateLimits {
  user: BucketLimit
  address: BucketLimit
}

const tokenBucket = defineLuaScript('token-bucket', tokenBucketLua)

/** Takes a token from the bucket at `key`: 0 when taken, else the ms until one is there. */
async function takeToken(
  redis: RedisPort,
  telemetry: Telemetry,
  key: string,
  limit: BucketLimit,
): Promise<number> {
  const [allowed, waitMs] = (await withRedisSpan(telemetry, `EVALSHA ${tokenBucket.name}`, () =>
    tokenBucket.run(redis, [key], [limit.perSecond, limit.burst]),
  )) as [number, number]
  return allowed === 1 ? 0 : waitMs
}

// One bucket per user and one per client address, each in its own hash slot.
const userBucketKey = (userId: string) => `ratelimit:{user:${userId}}`
const addressBucketKey = (address: string) => `ratelimit:{addr:${address}}`

/**
 * Purchase attempts are limited per user and per client address before anything is reserved,
 * so one client hammering the button cannot crowd out the others. Both buckets are asked in
 * parallel (one pipeline); either one empty is a 429 with `Retry-After`.
 */
export class PurchaseRateLimiter {
  private readonly telemetry: Telemetry

  constructor(
    private readonly options: {
      redis: RedisPort
      limits: PurchaseRateLimits
      telemetry?: Telemetry
    },
  ) {
    this.telemetry = options.telemetry ?? telemetryOff('gateway')
  }

  /** Throws 429 when either bucket is empty; the address is looked up only when its bucket is on. */
  async check(userId: string, addressOf: () => string | undefined) {
    const { redis, limits } = this.options
    if (limits.user.perSecond <= 0 && limits.address.perSecond <= 0) return
    const address = limits.address.perSecond > 0 ? addressOf() : undefined
    const take = (key: string, limit: BucketLimit) =>
      limit.perSecond > 0 ? takeToken(redis, this.telemetry, key, limit) : 0
    const waits = await Promise.all([
      take(userBucketKey(userId), limits.user),
      address ? take(addressBucketKey(address), limits.address) : 0,
    ])
    const waitMs = Math.max(...waits)
    if (waitMs > 0) throw new TooManyRequestsError(waitMs / 1000, 'Too many purchase attempts')
  }
}

/** The auth routes that cost an argon2 hash, the ones `AuthRateLimiter` counts (POST). */
export const HASHING_PATHS: readonly string[] = ['/v1/auth/login', '/v1/auth/signup']

const authBucketKey = (address: string) => `ratelimit:{auth-addr:${address}}`

/**
 * Sign-ups and logins per client address (the socket address the gateway sees — the trusted
 * hop, never a forwarded header), before the request reaches auth: each costs an argon2 hash,
 * so one address must not be able to keep auth's hashing slots busy. Redis unreachable is 503.
 */
export class AuthRateLimiter {
  private readonly telemetry: Telemetry

  constructor(
    private readonly options: { redis: RedisPort; limit: BucketLimit; telemetry?: Telemetry },
  ) {
    this.telemetry = options.telemetry ?? telemetryOff('gateway')
  }

  async check(address: string | undefined) {
    const { redis, limit } = this.options
    if (limit.perSecond <= 0 || !address) return
    let waitMs: number
    try {
      waitMs = await takeToken(redis, this.telemetry, authBucketKey(address), limit)
    } catch {
      throw new ServiceUnavailableError('Sign-up and login are unavailable right now', 1)
    }
    if (waitMs > 0)
      throw new TooManyRequestsError(
        waitMs / 1000,
        'Too many sign-ups and logins from this address',
      )
  }
}
