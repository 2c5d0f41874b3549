/**
 * Revocation reaches access tokens (issue 13, item 5): logout and a refresh-token replay put the
 * session on `auth:revoked-sessions` in the real Redis, this auth process refuses its tokens at
 * once, and another verifier sharing the Redis (a second auth instance here; the gateway, product
 * and order do the same) refuses them within a refresh period.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { revokedSessionsOn } from '@flash-deal/kit/redis'
import { REVOKED_SESSIONS_KEY } from '@flash-deal/kit/revocation'
import { internalAuthFor } from '@flash-deal/testing'
import { decodeJwt } from 'jose'
import { createApp } from '../src/app'
import { authApp, call, signupAndLogin, tokens } from './support'

const ctx = await authApp()
// A second auth process on the same Redis and keys, with its own copy refreshed every 200 ms.
const peerRevoked = revokedSessionsOn(ctx.redis, 200).start()
const peer = createApp({
  sql: ctx.sql,
  redis: ctx.redis,
  logger: ctx.logger,
  keys: ctx.keys,
  tokens,
  throttle: { maxFailuresPerAccount: 5, maxFailuresPerAddress: 1000, windowSeconds: 60 },
  internalAuth: internalAuthFor('auth'),
  revoked: peerRevoked,
})
afterAll(async () => {
  peerRevoked.stop()
  await ctx.close()
})

const me = (app: typeof ctx.app, token: string) => call(app, 'GET', '/v1/auth/me', { token })

async function refusedWithin(ms: number, token: string) {
  const started = performance.now()
  for (;;) {
    const response = await me(peer, token)
    if (response.status === 401) {
      expect((await response.json()).type).toBe('urn:flash-deal:problem:session-revoked')
      return performance.now() - started
    }
    expect(response.status).toBe(200)
    if (performance.now() - started > ms) throw new Error(`still accepted after ${ms} ms`)
    await Bun.sleep(50)
  }
}

describe('revoked sessions', () => {
  test('after logout the access token is refused at once here and within ~2 s elsewhere', async () => {
    const { accessToken } = await signupAndLogin(ctx.app)
    expect((await me(peer, accessToken)).status).toBe(200)
    expect((await call(ctx.app, 'POST', '/v1/auth/logout', { token: accessToken })).status).toBe(
      204,
    )

    const refused = await me(ctx.app, accessToken)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('content-type')).toBe('application/problem+json')
    expect((await refused.json()).type).toBe('urn:flash-deal:problem:session-revoked')
    expect(await refusedWithin(2000, accessToken)).toBeLessThan(2000)

    // The entry may go once every token of the session has expired (plus the verifiers' skew).
    const { sid, exp } = decodeJwt(accessToken) as { sid: string; exp: number }
    const score = Number(await ctx.redis.zscore(REVOKED_SESSIONS_KEY, sid))
    expect(score).toBeGreaterThanOrEqual(exp * 1000)
    expect(score).toBeLessThanOrEqual(Date.now() + (tokens.accessTtlSeconds + 31) * 1000)
  })

  test('after a refresh-token replay, both access tokens of the family are refused', async () => {
    const first = await signupAndLogin(ctx.app)
    const second = await (
      await call(ctx.app, 'POST', '/v1/auth/refresh', {
        body: { refreshToken: first.refreshToken },
      })
    ).json()
    expect((await me(peer, second.accessToken)).status).toBe(200)
    const replay = await call(ctx.app, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: first.refreshToken },
    })
    expect(replay.status).toBe(401)
    for (const token of [first.accessToken, second.accessToken]) {
      expect((await me(ctx.app, token)).status).toBe(401)
      expect(await refusedWithin(2000, token)).toBeLessThan(2000)
    }
  })

  test('another session of the same account keeps working', async () => {
    const one = await signupAndLogin(ctx.app)
    const two = await (
      await call(ctx.app, 'POST', '/v1/auth/login', {
        body: { email: one.email, password: one.password },
      })
    ).json()
    await call(ctx.app, 'POST', '/v1/auth/logout', { token: one.accessToken })
    await Bun.sleep(400)
    expect((await me(peer, one.accessToken)).status).toBe(401)
    expect((await me(peer, two.accessToken)).status).toBe(200)
  })
})
