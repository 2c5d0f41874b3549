/** The shared verification module against a real JWKS served over HTTP. */
import { afterAll, expect, test } from 'bun:test'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { createTokenVerifier, remoteJwks } from '../src/jwt'

async function key(kid: string) {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  return {
    kid,
    privateKey: pair.privateKey,
    jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'EdDSA' } as JWK,
  }
}

const first = await key('first')
const second = await key('second')
let published: JWK[] = [first.jwk]
let fetches = 0
const jwksServer = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: () => {
    fetches += 1
    return Response.json({ keys: published })
  },
})
afterAll(() => jwksServer.stop(true))

const sign = (signer: typeof first, claims: Record<string, unknown> = {}) =>
  new SignJWT({ role: 'customer', sid: 's', ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid })
    .setSubject('u1')
    .setIssuer('iss')
    .setAudience('aud')
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(crypto.randomUUID())
    .sign(signer.privateKey)

const verifierFor = (url: string) =>
  createTokenVerifier({ keys: remoteJwks(url), issuer: 'iss', audience: 'aud' })

test('verifies against the remote JWKS and caches both the keys and the verified token', async () => {
  const verifier = verifierFor(`http://127.0.0.1:${jwksServer.port}/jwks`)
  const token = await sign(first)
  fetches = 0
  expect((await verifier.verify(token)).sub).toBe('u1')
  expect((await verifier.verifyAuthorization(`Bearer ${token}`)).role).toBe('customer')
  expect(await verifier.verify(await sign(first))).toMatchObject({ sub: 'u1', sid: 's' })
  expect(fetches).toBe(1)
})

test('a key rollover is picked up: an unknown kid makes the verifier refetch the JWKS', async () => {
  const verifier = verifierFor(`http://127.0.0.1:${jwksServer.port}/jwks`)
  await verifier.verify(await sign(first))
  published = [second.jwk, first.jwk]
  await Bun.sleep(1100) // the refetch cool-down
  expect((await verifier.verify(await sign(second))).sub).toBe('u1')
  expect((await verifier.verify(await sign(first))).sub).toBe('u1')
})

test('a token without the role and session claims is refused', async () => {
  const verifier = verifierFor(`http://127.0.0.1:${jwksServer.port}/jwks`)
  await expect(verifier.verify(await sign(first, { role: 'root' }))).rejects.toMatchObject({
    status: 401,
  })
})

test('unreachable keys are a 503 (our outage), not a 401 and never a 500', async () => {
  const verifier = verifierFor('http://127.0.0.1:1/jwks')
  await expect(verifier.verify(await sign(first))).rejects.toMatchObject({ status: 503 })
})

test('a cached token still expires', async () => {
  let clock = Date.now() / 1000
  const verifier = createTokenVerifier({
    keys: remoteJwks(`http://127.0.0.1:${jwksServer.port}/jwks`),
    issuer: 'iss',
    audience: 'aud',
    now: () => clock,
  })
  const token = await sign(first)
  await verifier.verify(token)
  clock += 3600
  await expect(verifier.verify(token)).rejects.toMatchObject({
    status: 401,
    detail: 'The token has expired',
  })
})

test("bearerAuth: no token 401, a customer on an admin route 403, an admin 200 with the caller's claims", async () => {
  const { Elysia } = await import('elysia')
  const { bearerAuth } = await import('../src/auth')
  const { createServiceApp } = await import('../src/http')
  const { createLogger } = await import('../src/logger')
  const verifier = verifierFor(`http://127.0.0.1:${jwksServer.port}/jwks`)
  const app = createServiceApp({
    name: 't',
    version: '1',
    description: 't',
    logger: createLogger({ sink: () => {} }),
  }).use(
    new Elysia()
      .use(bearerAuth(verifier))
      .get('/admin-only', ({ user }) => ({ sub: user.sub }), { auth: 'admin' }),
  )
  const get = async (token?: string) =>
    app.handle(
      new Request('http://localhost/admin-only', {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      }),
    )
  expect((await get()).status).toBe(401)
  expect((await get(await sign(first))).status).toBe(403)
  const admin = await get(await sign(first, { role: 'admin' }))
  expect(admin.status).toBe(200)
  expect(await admin.json()).toEqual({ sub: 'u1' })
})
