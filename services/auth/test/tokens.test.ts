/** Every forged or broken token is 401 problem+json, never 500. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { importJWK, SignJWT } from 'jose'
import { newSigningJwk } from '../src/keys/key-store'
import { type AuthApp, authApp, call, signupAndLogin, tokens } from './support'

let ctx: Awaited<ReturnType<typeof authApp>>
let app: AuthApp
let userId: string

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const now = () => Math.floor(Date.now() / 1000)

beforeAll(async () => {
  ctx = await authApp()
  app = ctx.app
  const { accessToken } = await signupAndLogin(app)
  userId = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString()).sub
})
afterAll(() => ctx.close())

async function signed(options: {
  jwk?: Awaited<ReturnType<typeof newSigningJwk>>
  kid?: string
  iss?: string
  aud?: string
  exp?: number
}) {
  const jwk = options.jwk ?? ctx.signingJwk
  const key = await importJWK(jwk, 'EdDSA')
  return new SignJWT({ role: 'admin', sid: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'EdDSA', kid: options.kid ?? jwk.kid })
    .setSubject(userId)
    .setIssuer(options.iss ?? tokens.issuer)
    .setAudience(options.aud ?? tokens.audience)
    .setIssuedAt(now() - 3600)
    .setExpirationTime(options.exp ?? now() + 600)
    .setJti(crypto.randomUUID())
    .sign(key)
}

const forgeries: [string, () => Promise<string>][] = [
  ['expired', () => signed({ exp: now() - 120 })],
  [
    'signed by another key with the same kid',
    async () => signed({ jwk: await newSigningJwk(), kid: ctx.keys.kid }),
  ],
  ['signed by another key', async () => signed({ jwk: await newSigningJwk() })],
  [
    'alg none',
    async () =>
      `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: userId, role: 'admin', sid: 's', jti: 'j', iat: now(), exp: now() + 600, iss: tokens.issuer, aud: tokens.audience })}.`,
  ],
  [
    'HS256 with the public key as the secret',
    async () => {
      const publicJwk = ctx.keys.jwks.keys[0]
      const secret = new TextEncoder().encode(JSON.stringify(publicJwk))
      return new SignJWT({ role: 'admin', sid: 's' })
        .setProtectedHeader({ alg: 'HS256', kid: ctx.keys.kid })
        .setSubject(userId)
        .setIssuer(tokens.issuer)
        .setAudience(tokens.audience)
        .setIssuedAt()
        .setExpirationTime('10m')
        .setJti('j')
        .sign(secret)
    },
  ],
  ['the wrong audience', () => signed({ aud: 'someone-else' })],
  ['the wrong issuer', () => signed({ iss: 'https://evil.example' })],
  ['garbage', async () => 'abc.def.ghi'],
  ['not even three parts', async () => 'not-a-jwt'],
  [
    'a tampered payload',
    async () => {
      const [header, , signature] = (await signed({})).split('.')
      return `${header}.${b64({ sub: userId, role: 'admin', sid: 's', jti: 'j', iat: now(), exp: now() + 600, iss: tokens.issuer, aud: tokens.audience })}.${signature}`
    },
  ],
]

test.each(forgeries)('a token %s is 401 problem+json', async (_, forge) => {
  const response = await call(app, 'GET', '/v1/auth/me', { token: await forge() })
  expect(response.status).toBe(401)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  expect((await response.json()).type).toBe('urn:flash-deal:problem:unauthorized')
})

test('a well-formed token signed by the right key is accepted (the forgeries fail for their flaw)', async () => {
  const response = await call(app, 'GET', '/v1/auth/me', { token: await signed({}) })
  expect(response.status).toBe(200)
})

test('a malformed Authorization header is 401', async () => {
  for (const header of ['Basic abc', 'Bearer', 'Bearer a b', 'token']) {
    const response = await call(app, 'GET', '/v1/auth/me', { headers: { authorization: header } })
    expect(response.status).toBe(401)
  }
})
