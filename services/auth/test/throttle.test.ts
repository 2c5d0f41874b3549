/**
 * Login abuse (issue 13, items 2, 6 and 8) against the real Redis and Postgres: the lockout
 * race, who a stranger can lock out, brute force staying hard, and bounded argon2 work.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { keySlot } from '@flash-deal/kit/redis'
import { loginThrottleKeys } from '../src/accounts/login-throttle'
import { type AuthApp, authApp, call, newEmail } from './support'

const opened: { close(): Promise<void> }[] = []
afterAll(async () => {
  await Promise.all(opened.map((ctx) => ctx.close()))
})

async function appWith(options: Parameters<typeof authApp>[0]) {
  const ctx = await authApp(options)
  opened.push(ctx)
  return ctx.app
}

let addressCounter = 0
/** A fresh documentation-range address (RFC 5737), as the gateway would forward it. */
const newAddress = () => {
  addressCounter += 1
  return `198.18.${Math.floor(Math.random() * 200)}.${addressCounter % 250}`
}

const login = (app: AuthApp, email: string, password: string, address: string) =>
  call(app, 'POST', '/v1/auth/login', {
    body: { email, password },
    headers: { 'x-forwarded-for': address },
  })

async function signup(app: AuthApp, email = newEmail(), password = 'the owners passphrase') {
  const response = await call(app, 'POST', '/v1/auth/signup', { body: { email, password } })
  expect(response.status).toBe(201)
  return { email, password }
}

const counts = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((acc, status) => {
    acc[status] = (acc[status] ?? 0) + 1
    return acc
  }, {})

describe('the lockout is counted and decided atomically (item 2)', () => {
  test('40 concurrent wrong passwords on one account: at most the limit are evaluated', async () => {
    // Enough hashing slots that all 40 reach the throttle together.
    const app = await appWith({
      throttle: { maxFailuresPerAccount: 5 },
      hashing: { concurrency: 40, queueLimit: 40, maxWaitMs: 10_000 },
    })
    const { email } = await signup(app)
    const address = newAddress()
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => login(app, email, 'a wrong password', address)),
    )
    const statuses = answers.map((response) => response.status)
    const tally = counts(statuses)
    // 401 = the password was evaluated (and wrong); 429 = refused before evaluation.
    expect(tally[401] ?? 0).toBeGreaterThanOrEqual(1)
    expect(tally[401] ?? 0).toBeLessThanOrEqual(5)
    expect((tally[401] ?? 0) + (tally[429] ?? 0)).toBe(40)
  })
})

describe('a stranger cannot lock the owner out (item 6)', () => {
  test('failures from one address do not lock the account for another address', async () => {
    // Long delays, so a slow box cannot outwait them between two requests of the test.
    const app = await appWith({ throttle: { maxFailuresPerAccount: 3, baseDelayMs: 10_000 } })
    const owner = await signup(app)
    const stranger = newAddress()
    const strangerAnswers: number[] = []
    for (let i = 0; i < 8; i += 1) {
      strangerAnswers.push((await login(app, owner.email, 'guess guess', stranger)).status)
    }
    expect(strangerAnswers.slice(0, 3)).toEqual([401, 401, 401])
    expect(strangerAnswers.slice(3)).toEqual([429, 429, 429, 429, 429])
    // The owner elsewhere, with the right password: in.
    expect((await login(app, owner.email, owner.password, newAddress())).status).toBe(200)
    // ... and even the right password from the stranger's address waits (nothing leaks there).
    expect((await login(app, owner.email, owner.password, stranger)).status).toBe(429)
  })

  test('delays are progressive: the base, then twice it, and the attempt in between is evaluated', async () => {
    // A 4 s base: an argon2 verify on a loaded box can take over a second, and a base shorter
    // than the gap between two requests would let the attempt in (Retry-After counts down).
    const app = await appWith({ throttle: { maxFailuresPerAccount: 2, baseDelayMs: 4000 } })
    const { email } = await signup(app)
    const address = newAddress()
    expect((await login(app, email, 'wrong one', address)).status).toBe(401)
    expect((await login(app, email, 'wrong two', address)).status).toBe(401)
    const first = await login(app, email, 'wrong three', address)
    expect(first.status).toBe(429)
    expect(Number(first.headers.get('retry-after'))).toBeWithin(1, 5) // at most the 4 s base
    expect((await first.json()).type).toBe('urn:flash-deal:problem:rate-limited')
    await Bun.sleep(Number(first.headers.get('retry-after')) * 1000 + 100)
    expect((await login(app, email, 'wrong four', address)).status).toBe(401)
    const second = await login(app, email, 'wrong five', address)
    expect(second.status).toBe(429)
    expect(Number(second.headers.get('retry-after'))).toBeWithin(5, 9) // twice the base: 8 s at most
  })

  test('a distributed guesser is throttled account-wide, but not on the owners known address', async () => {
    const app = await appWith({
      throttle: {
        maxFailuresPerAccount: 3,
        maxUntrustedFailuresPerAccount: 6,
        baseDelayMs: 10_000,
      },
      hashing: { concurrency: 20, queueLimit: 20, maxWaitMs: 10_000 },
    })
    const owner = await signup(app)
    const home = newAddress()
    expect((await login(app, owner.email, owner.password, home)).status).toBe(200)
    // Twenty addresses, two guesses each: only the account-wide limit's worth are evaluated.
    const guesses = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const address = newAddress()
        return [
          (await login(app, owner.email, 'guess one', address)).status,
          (await login(app, owner.email, 'guess two', address)).status,
        ]
      }),
    )
    const tally = counts(guesses.flat())
    expect(tally[401] ?? 0).toBeLessThanOrEqual(6)
    expect((tally[401] ?? 0) + (tally[429] ?? 0)).toBe(40)
    // A new address now waits, even with the right password: brute force stays as hard ...
    expect((await login(app, owner.email, owner.password, newAddress())).status).toBe(429)
    // ... while the owner's known address gets in.
    expect((await login(app, owner.email, owner.password, home)).status).toBe(200)
  })
})

describe('argon2 work is bounded (item 8)', () => {
  test('50 concurrent logins: the excess is 503 with Retry-After at once, nobody waits long', async () => {
    const app = await appWith({ hashing: { concurrency: 1, queueLimit: 4, maxWaitMs: 3000 } })
    const started = performance.now()
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const response = await login(app, newEmail(), 'some password', newAddress())
        return { response, ms: performance.now() - started }
      }),
    )
    const tally = counts(answers.map(({ response }) => response.status))
    expect(Object.keys(tally).sort()).toEqual(['401', '503'])
    expect(tally[401]).toBeGreaterThanOrEqual(5)
    expect(tally[503]).toBeGreaterThanOrEqual(30)
    for (const { response, ms } of answers) {
      if (response.status !== 503) continue
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      expect((await response.json()).type).toBe('urn:flash-deal:problem:unavailable')
      // Refused without waiting for a slot (or after at most the bounded wait).
      expect(ms).toBeLessThan(4000)
    }
  })

  test('sign-ups share the same slots', async () => {
    const app = await appWith({ hashing: { concurrency: 1, queueLimit: 2, maxWaitMs: 3000 } })
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        call(app, 'POST', '/v1/auth/signup', {
          body: { email: newEmail(), password: 'a long passphrase' },
        }),
      ),
    )
    const tally = counts(answers.map((response) => response.status))
    expect(tally[201]).toBeGreaterThanOrEqual(3)
    expect(tally[503]).toBeGreaterThanOrEqual(1)
    expect((tally[201] ?? 0) + (tally[503] ?? 0)).toBe(12)
  })
})

test('every key of one login attempt is in one Redis Cluster slot (the script names all four)', () => {
  for (const [email, address] of [
    ['ada@example.com', '198.18.0.1'],
    ['grace@example.org', '2001:db8::7'],
  ] as const) {
    const slots = new Set(loginThrottleKeys(email, address).map(keySlot))
    expect(slots.size).toBe(1)
  }
})
