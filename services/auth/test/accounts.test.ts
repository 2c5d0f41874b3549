/** The auth service against real Postgres and Redis. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { queries } from '@flash-deal/db'
import { deadRedisUrl, internalAuthFor } from '@flash-deal/testing'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { type AuthApp, authApp, call, newEmail, signupAndLogin } from './support'

let ctx: Awaited<ReturnType<typeof authApp>>
let app: AuthApp

beforeAll(async () => {
  ctx = await authApp({ throttleWindowSeconds: 2 })
  app = ctx.app
})
afterAll(() => ctx.close())

describe('signup', () => {
  test('creates a customer with a normalised email and an argon2id hash', async () => {
    const email = newEmail()
    const response = await call(app, 'POST', '/v1/auth/signup', {
      body: {
        email: `  ${email.toUpperCase()} `,
        password: 'a long passphrase',
        displayName: 'Kim',
      },
    })
    expect(response.status).toBe(201)
    const user = await response.json()
    expect(user).toEqual({ id: expect.any(String), email, role: 'customer', displayName: 'Kim' })
    const stored = await queries.getUserByEmail(ctx.sql, { email })
    expect(stored?.passwordHash).toStartWith('$argon2id$')
  })

  test('a taken email is 409 and changes nothing', async () => {
    const email = newEmail()
    expect(
      (await call(app, 'POST', '/v1/auth/signup', { body: { email, password: 'first password' } }))
        .status,
    ).toBe(201)
    const again = await call(app, 'POST', '/v1/auth/signup', {
      body: { email: email.toUpperCase(), password: 'second password' },
    })
    expect(again.status).toBe(409)
    expect((await again.json()).type).toBe('urn:flash-deal:problem:email-taken')
    const stored = await queries.getUserByEmail(ctx.sql, { email })
    expect(await Bun.password.verify('first password', stored?.passwordHash ?? '')).toBe(true)
  })

  test.each([
    ['a short password', { password: 'short' }, 'body.password'],
    ['a password over 128 characters', { password: 'x'.repeat(129) }, 'body.password'],
    ['the email as password', { password: 'EMAIL' }, 'body.password'],
    ['a malformed email', { email: 'not-an-email' }, 'body.email'],
    ['a missing email', { email: undefined }, 'body.email'],
    ['a number as password', { password: 12345678 }, 'body.password'],
    ['an unknown field', { role: 'admin' }, 'body'],
    // Issue 13, item 7: Postgres text cannot hold U+0000; it was a 500.
    ['U+0000 in the display name', { displayName: 'nul\u0000byte' }, 'body.displayName'],
  ])('%s is 422 naming the field, and writes nothing', async (_, change, field) => {
    const email = newEmail()
    const body: Record<string, unknown> = { email, password: 'fine password', ...change }
    if (body.password === 'EMAIL') body.password = email
    const response = await call(app, 'POST', '/v1/auth/signup', { body })
    expect(response.status).toBe(422)
    const problem = await response.json()
    expect(problem.errors.map((error: { field: string }) => error.field).join(' ')).toContain(field)
    expect(await queries.getUserByEmail(ctx.sql, { email })).toBeNull()
  })

  test('malformed JSON is 400 and an oversized body is 413', async () => {
    expect((await call(app, 'POST', '/v1/auth/signup', { body: '{"email":' })).status).toBe(400)
    const big = JSON.stringify({ email: newEmail(), password: 'x'.repeat(100_000) })
    const response = await call(app, 'POST', '/v1/auth/signup', {
      body: big,
      headers: { 'content-length': String(big.length) },
    })
    expect(response.status).toBe(413)
  })

  test('nobody can sign up as an admin', async () => {
    const response = await call(app, 'POST', '/v1/auth/signup', {
      body: { email: newEmail(), password: 'fine password', role: 'admin' },
    })
    expect(response.status).toBe(422)
  })
})

describe('login', () => {
  test('returns a bearer pair whose access token carries the expected claims', async () => {
    const { email, accessToken, refreshToken } = await signupAndLogin(app)
    const claims = decodeJwt(accessToken)
    const user = await queries.getUserByEmail(ctx.sql, { email })
    expect(claims).toMatchObject({
      sub: user?.id,
      role: 'customer',
      iss: 'flash-deal-auth',
      aud: 'flash-deal',
    })
    expect(typeof claims.jti).toBe('string')
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900)
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ alg: 'EdDSA', kid: ctx.keys.kid })
    expect(refreshToken.length).toBeGreaterThanOrEqual(43)
  })

  test('a wrong password and an unknown email get the same answer', async () => {
    const { email } = await signupAndLogin(app)
    const wrong = await call(app, 'POST', '/v1/auth/login', {
      body: { email, password: 'wrong password' },
    })
    const unknown = await call(app, 'POST', '/v1/auth/login', {
      body: { email: newEmail(), password: 'wrong password' },
    })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    const [a, b] = [await wrong.json(), await unknown.json()]
    expect({ ...a, requestId: 0 }).toEqual({ ...b, requestId: 0 })
  })

  test('repeated failures lock the account with 429 and Retry-After, and the lock expires', async () => {
    const { email, password } = await signupAndLogin(app)
    for (let i = 0; i < 3; i += 1) {
      expect(
        (await call(app, 'POST', '/v1/auth/login', { body: { email, password: 'nope nope' } }))
          .status,
      ).toBe(401)
    }
    const locked = await call(app, 'POST', '/v1/auth/login', { body: { email, password } })
    expect(locked.status).toBe(429)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect((await locked.json()).type).toBe('urn:flash-deal:problem:rate-limited')
    await Bun.sleep(2100)
    expect((await call(app, 'POST', '/v1/auth/login', { body: { email, password } })).status).toBe(
      200,
    )
  })

  test('repeated failures from one address lock that address', async () => {
    const local = await authApp()
    try {
      const headers = { 'x-forwarded-for': `203.0.113.${Math.floor(Math.random() * 250)}` }
      const limited = { ...local }
      void limited
      // This app allows 1000 per address; use a tighter one for the address limit.
      const { createApp } = await import('../src/app')
      const tight = createApp({
        sql: local.sql,
        redis: local.redis,
        logger: local.logger,
        keys: local.keys,
        tokens: { issuer: 'i', audience: 'a', accessTtlSeconds: 60, refreshTtlSeconds: 60 },
        throttle: { maxFailuresPerAccount: 100, maxFailuresPerAddress: 2, windowSeconds: 60 },
        internalAuth: internalAuthFor('auth'),
      })
      for (let i = 0; i < 2; i += 1) {
        const response = await call(tight, 'POST', '/v1/auth/login', {
          body: { email: newEmail(), password: 'x' },
          headers,
        })
        expect(response.status).toBe(401)
      }
      const blocked = await call(tight, 'POST', '/v1/auth/login', {
        body: { email: newEmail(), password: 'x' },
        headers,
      })
      expect(blocked.status).toBe(429)
      const elsewhere = await call(tight, 'POST', '/v1/auth/login', {
        body: { email: newEmail(), password: 'x' },
        headers: { 'x-forwarded-for': '198.51.100.7' },
      })
      expect(elsewhere.status).toBe(401)
    } finally {
      await local.close()
    }
  })

  test('with Redis down, login fails closed with 503', async () => {
    const down = await authApp({ redisUrl: deadRedisUrl })
    try {
      const response = await call(down.app, 'POST', '/v1/auth/login', {
        body: { email: newEmail(), password: 'whatever' },
      })
      expect(response.status).toBe(503)
    } finally {
      await down.close()
    }
  })
})

describe('refresh tokens', () => {
  test('rotate on every use: the new pair works, the old token is spent', async () => {
    const first = await signupAndLogin(app)
    const rotated = await call(app, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: first.refreshToken },
    })
    expect(rotated.status).toBe(200)
    const second = await rotated.json()
    expect(second.refreshToken).not.toBe(first.refreshToken)
    expect((await call(app, 'GET', '/v1/auth/me', { token: second.accessToken })).status).toBe(200)
    const third = await call(app, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: second.refreshToken },
    })
    expect(third.status).toBe(200)
  })

  test('reusing a rotated token revokes the whole family', async () => {
    const first = await signupAndLogin(app)
    const second = await (
      await call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken: first.refreshToken } })
    ).json()
    const replay = await call(app, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: first.refreshToken },
    })
    expect(replay.status).toBe(401)
    expect((await replay.json()).detail).toContain('already used')
    // The legitimate holder's newer token is revoked too.
    const victim = await call(app, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: second.refreshToken },
    })
    expect(victim.status).toBe(401)
  })

  test('two concurrent refreshes with one token: exactly one wins and the family is revoked', async () => {
    const { refreshToken } = await signupAndLogin(app)
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken } }),
      ),
    )
    const statuses = answers.map((answer) => answer.status).sort()
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(1)
    const winner = answers.find((answer) => answer.status === 200)
    if (winner) {
      const pair = await winner.json()
      expect(
        (await call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken: pair.refreshToken } }))
          .status,
      ).toBe(401)
    }
  })

  test('an unknown refresh token is 401', async () => {
    const response = await call(app, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: 'made-up-token' },
    })
    expect(response.status).toBe(401)
    expect((await response.json()).type).toBe('urn:flash-deal:problem:invalid-refresh-token')
  })
})

describe('me and logout', () => {
  test('me returns the caller', async () => {
    const { email, accessToken } = await signupAndLogin(app)
    const response = await call(app, 'GET', '/v1/auth/me', { token: accessToken })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ email, role: 'customer' })
  })

  test('me without a token is 401 problem+json', async () => {
    const response = await call(app, 'GET', '/v1/auth/me')
    expect(response.status).toBe(401)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(response.headers.get('www-authenticate')).toBe('Bearer')
  })

  test('logout is 204 and revokes the session: its refresh token no longer works', async () => {
    const { accessToken, refreshToken } = await signupAndLogin(app)
    const response = await call(app, 'POST', '/v1/auth/logout', { token: accessToken })
    expect(response.status).toBe(204)
    expect((await call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken } })).status).toBe(
      401,
    )
  })

  test('logout revokes only that session', async () => {
    const email = newEmail()
    const one = await signupAndLogin(app, email, 'shared password')
    const twoResponse = await call(app, 'POST', '/v1/auth/login', {
      body: { email, password: 'shared password' },
    })
    const two = await twoResponse.json()
    await call(app, 'POST', '/v1/auth/logout', { token: one.accessToken })
    expect(
      (await call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken: two.refreshToken } }))
        .status,
    ).toBe(200)
  })

  test('the JWKS publishes the public key only', async () => {
    const response = await call(app, 'GET', '/.well-known/jwks.json')
    const { keys } = await response.json()
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      kid: ctx.keys.kid,
      alg: 'EdDSA',
      use: 'sig',
    })
    expect(keys[0].d).toBeUndefined()
  })
})

describe('logs', () => {
  test('no password, token or hash ever appears in the logs of a signup, login, refresh and me', async () => {
    const before = ctx.logger.lines.length
    const { email, password, accessToken, refreshToken } = await signupAndLogin(
      app,
      newEmail(),
      'secret-in-the-logs?',
    )
    const rotated = await (
      await call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken } })
    ).json()
    await call(app, 'GET', '/v1/auth/me', { token: accessToken })
    await call(app, 'POST', '/v1/auth/login', { body: { email, password: 'wrong-secret-in-logs' } })
    await Bun.sleep(10)
    const logged = JSON.stringify(ctx.logger.lines.slice(before))
    expect(ctx.logger.lines.length).toBeGreaterThan(before)
    const hash = (await queries.getUserByEmail(ctx.sql, { email }))?.passwordHash ?? 'missing'
    for (const secret of [
      password,
      'wrong-secret-in-logs',
      accessToken,
      refreshToken,
      rotated.refreshToken,
      rotated.accessToken,
      hash,
      '$argon2id$',
    ]) {
      expect(logged).not.toContain(secret)
    }
  })
})
