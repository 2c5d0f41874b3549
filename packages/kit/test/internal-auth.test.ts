import { describe, expect, test } from 'bun:test'
import { t } from 'elysia'
import { SignJWT } from 'jose'
import { createServiceApp } from '../src/http'
import {
  INTERNAL_TOKEN_HEADER,
  internalAuth,
  internalTokenSigner,
  internalTokenVerifier,
  trustedClientAddress,
} from '../src/internal-auth'
import { createLogger } from '../src/logger'

const secret = 'kit-test-internal-secret-0123456789abcdef'
const signer = internalTokenSigner(secret)

function app() {
  return createServiceApp({
    name: 'product',
    version: '1',
    description: 'test',
    logger: createLogger({ level: 'error', sink: () => {} }),
  })
    .use(internalAuth(internalTokenVerifier(secret, 'product')))
    .post(
      '/v1/things',
      ({ body, request }) => ({ body, address: trustedClientAddress(request, 'socket') }),
      // Only a route with a body schema reads the body (the kit's body reader).
      { body: t.Object({ a: t.Integer() }) },
    )
    .get('/v1', () => 'root')
    .get('/.well-known/jwks.json', () => ({ keys: [] }))
}

const call = (path: string, headers: Record<string, string> = {}, method = 'POST') =>
  app().handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: method === 'POST' ? '{"a":1}' : undefined,
    }),
  )

const forged = (claims: { aud?: string; iss?: string; expSeconds?: number }, key = secret) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(claims.iss ?? 'flash-deal-gateway')
    .setAudience(claims.aud ?? 'product')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 30)
    .setExpirationTime(Math.floor(Date.now() / 1000) + (claims.expSeconds ?? 30))
    .sign(new TextEncoder().encode(key))

async function expectRefused(response: Response) {
  expect(response.status).toBe(401)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  const problem = await response.json()
  expect(problem.type).toBe('urn:flash-deal:problem:internal-auth-required')
  expect(problem.requestId).toBeString()
  return problem
}

describe('internal authentication', () => {
  test('a /v1 request with the gateway token for this audience goes through', async () => {
    const response = await call('/v1/things', {
      [INTERNAL_TOKEN_HEADER]: await signer.tokenFor('product'),
      'x-forwarded-for': '203.0.113.9, 198.51.100.7',
    })
    expect(response.status).toBe(200)
    // Only with a valid token is the gateway's entry (the last one) the client's address.
    expect(await response.json()).toEqual({ body: { a: 1 }, address: '198.51.100.7' })
  })

  test('without a token, with a wrong, expired, foreign-audience or foreign-issuer one: 401', async () => {
    await expectRefused(await call('/v1/things'))
    await expectRefused(await call('/v1', {}, 'GET'))
    await expectRefused(await call('/v1/things?x=1'))
    for (const token of [
      'not.a.jwt',
      await forged({}, 'another-secret-of-at-least-32-bytes!!'),
      await forged({ expSeconds: -60 }),
      await forged({ aud: 'order' }),
      await forged({ iss: 'someone-else' }),
      await signer.tokenFor('order'),
    ]) {
      await expectRefused(await call('/v1/things', { [INTERNAL_TOKEN_HEADER]: token }))
    }
    const expired = await call('/v1/things', {
      [INTERNAL_TOKEN_HEADER]: await forged({ expSeconds: -60 }),
    })
    expect((await expired.json()).detail).toContain('expired')
  })

  test('no spelling of a /v1 path reaches a route without a token', async () => {
    for (const path of [
      '/%761/things',
      '//v1/things',
      '/V1/things',
      '/v1%2Fthings',
      '/v1//things',
    ]) {
      const response = await call(path)
      expect({ path, status: response.status }).not.toEqual({ path, status: 200 })
    }
  })

  test('health, Swagger and the JWKS stay open', async () => {
    for (const path of ['/health/live', '/swagger/json', '/.well-known/jwks.json']) {
      expect((await app().handle(new Request(`http://localhost${path}`))).status).toBe(200)
    }
  })

  test('a direct caller cannot choose its address with X-Forwarded-For', () => {
    const request = new Request('http://localhost/login', {
      headers: { 'x-forwarded-for': '203.0.113.1' },
    })
    expect(trustedClientAddress(request, '10.0.0.5')).toBe('10.0.0.5')
  })

  test('the signer re-signs at most every 30 s per audience, and the token lives 60 s', async () => {
    let now = 1_700_000_000_000
    const clocked = internalTokenSigner(secret, { now: () => now })
    const first = await clocked.tokenFor('auth')
    now += 29_000
    expect(await clocked.tokenFor('auth')).toBe(first)
    expect(await clocked.tokenFor('order')).not.toBe(first)
    now += 2_000
    const second = await clocked.tokenFor('auth')
    expect(second).not.toBe(first)
    const payload = JSON.parse(atob(second.split('.')[1] ?? ''))
    expect(payload).toMatchObject({ iss: 'flash-deal-gateway', aud: 'auth' })
    expect(payload.exp - payload.iat).toBe(60)
  })

  test('a secret shorter than 32 bytes is refused at startup', () => {
    expect(() => internalTokenSigner('short')).toThrow('32 bytes')
    expect(() => internalTokenVerifier('short', 'auth')).toThrow('32 bytes')
  })
})
