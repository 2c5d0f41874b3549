/**
 * Revoked sessions (decisions §2). Auth records each revoked session in the Redis sorted set
 * `auth:revoked-sessions`: member = the session id (`sid` claim), score = epoch ms after which
 * no access token of that session can still be accepted, so the entry may be dropped.
 *
 * Every verifier keeps a local copy, refreshed every `REVOCATION_REFRESH_MS` with one
 * `ZRANGEBYSCORE <key> <now> +inf`, and refuses a token whose `sid` is in it: a revoked session
 * stops working everywhere within about one refresh period, and a request never waits for Redis.
 * No `node:` imports: the gateway runs this at the edge too.
 */
import type { Logger } from './logger'

export const REVOKED_SESSIONS_KEY = 'auth:revoked-sessions'

/**
 * How long after the revocation an entry is kept: the session's newest access token lives at
 * most `accessTtlSeconds`, and verifiers accept `exp` with up to this much clock skew.
 */
export const REVOCATION_SKEW_SECONDS = 30

export const revokedUntil = (accessTtlSeconds: number, now = Date.now()) =>
  now + (accessTtlSeconds + REVOCATION_SKEW_SECONDS) * 1000

export interface RevokedSessions {
  has(sessionId: string): boolean
  /** Marks a session revoked in this process now (auth, right after writing it to Redis). */
  add(sessionId: string): void
  /** Loads the current set from Redis; on failure the previous copy stays (and is logged). */
  refresh(): Promise<void>
  /** Refreshes every `refreshMs` (the timer does not keep the process alive). */
  start(): RevokedSessions
  stop(): void
}

export interface RevokedSessionsOptions {
  /** `ZRANGEBYSCORE auth:revoked-sessions <nowMs> +inf` on the service's Redis client. */
  load(nowMs: number): Promise<string[]>
  refreshMs: number
  logger?: Logger
  now?: () => number
}

export function revokedSessions(options: RevokedSessionsOptions): RevokedSessions {
  const now = options.now ?? Date.now
  let current = new Set<string>()
  // Sessions this process revoked itself, with when: kept across refreshes for a while, so a
  // refresh that raced the Redis write cannot forget them.
  const ownRevocations = new Map<string, number>()
  const ownRetentionMs = Math.max(10_000, options.refreshMs * 5)
  let timer: ReturnType<typeof setInterval> | undefined
  let failing = false
  let inFlight: Promise<void> | undefined

  const load = async () => {
    try {
      const loaded = new Set(await options.load(now()))
      for (const [sessionId, at] of ownRevocations) {
        if (at < now() - ownRetentionMs) ownRevocations.delete(sessionId)
        else loaded.add(sessionId)
      }
      current = loaded
      if (failing) options.logger?.info('revoked sessions refreshed again')
      failing = false
    } catch (error) {
      // Keep the last copy: refusing every token while Redis blips would be an outage, and
      // Redis down also stops what the revocation protects most (purchases) anyway.
      if (!failing)
        options.logger?.warn('revoked sessions could not be refreshed; keeping the last copy', {
          error: error instanceof Error ? error.message : String(error),
        })
      failing = true
    }
  }

  const sessions: RevokedSessions = {
    has: (sessionId) => current.has(sessionId),
    add: (sessionId) => {
      ownRevocations.set(sessionId, now())
      current.add(sessionId)
    },
    refresh() {
      inFlight ??= load().finally(() => {
        inFlight = undefined
      })
      return inFlight
    },
    start() {
      if (timer) return sessions
      void sessions.refresh()
      timer = setInterval(() => void sessions.refresh(), options.refreshMs)
      ;(timer as { unref?: () => void }).unref?.()
      return sessions
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = undefined
    },
  }
  return sessions
}
