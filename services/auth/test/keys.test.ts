/** Signing keys: generated once for dev, rotated with the old key still published. */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { internalAuthFor, repoRoot } from '@flash-deal/testing'
import { importJWK, type JWK, SignJWT } from 'jose'
import { loadSigningKeys, newSigningJwk, signingKeysFrom } from '../src/keys/key-store'
import { authApp, call, signupAndLogin, tokens } from './support'

const dir = mkdtempSync(join(tmpdir(), 'flash-keys-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const config = { JWT_PREVIOUS_KEYS: '[]', JWT_KEY_DIR: dir }

test('the dev key is generated on first start, private to its owner, and reused afterwards', async () => {
  const first = await loadSigningKeys(config)
  expect(statSync(join(dir, 'signing.jwk.json')).mode & 0o777).toBe(0o600)
  const again = await loadSigningKeys(config)
  expect(again.kid).toBe(first.kid)
  expect(first.jwks.keys.every((key) => key.d === undefined)).toBe(true)
})

test('rotate.ts signs with a new key and keeps publishing the old one', async () => {
  const before = await loadSigningKeys(config)
  const rotate = Bun.spawnSync(['bun', 'services/auth/src/keys/rotate.ts'], {
    cwd: repoRoot,
    env: { ...process.env, JWT_KEY_DIR: dir },
  })
  expect(rotate.exitCode).toBe(0)
  const after = await loadSigningKeys(config)
  expect(after.kid).not.toBe(before.kid)
  expect(after.jwks.keys.map((key) => key.kid)).toEqual([after.kid, before.kid])
})

test('a production key comes from JWT_SIGNING_KEY, with previous keys from JWT_PREVIOUS_KEYS', async () => {
  const current = await newSigningJwk()
  const { d: _private, ...previous } = await newSigningJwk()
  const keys = await loadSigningKeys({
    JWT_SIGNING_KEY: JSON.stringify(current),
    JWT_PREVIOUS_KEYS: JSON.stringify([previous]),
    JWT_KEY_DIR: join(dir, 'unused'),
  })
  expect(keys.kid).toBe(current.kid as string)
  expect(keys.jwks.keys.map((key) => key.kid)).toEqual([current.kid, previous.kid])
})

test('during a rollover, tokens signed with the previous key still verify', async () => {
  const ctx = await authApp()
  try {
    const { accessToken } = await signupAndLogin(ctx.app)
    const userId = JSON.parse(
      Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString(),
    ).sub
    const old: JWK = ctx.signingJwk
    const { d: _private, ...oldPublic } = old
    const rotated = await signingKeysFrom(await newSigningJwk(), [oldPublic])
    const { createApp } = await import('../src/app')
    const app = createApp({
      ...ctx,
      keys: rotated,
      tokens,
      throttle: { maxFailuresPerAccount: 5, maxFailuresPerAddress: 50, windowSeconds: 60 },
      internalAuth: internalAuthFor('auth'),
    })
    const oldToken = await new SignJWT({ role: 'customer', sid: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'EdDSA', kid: old.kid as string })
      .setSubject(userId)
      .setIssuer(tokens.issuer)
      .setAudience(tokens.audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(crypto.randomUUID())
      .sign(await importJWK(old, 'EdDSA'))
    expect((await call(app, 'GET', '/v1/auth/me', { token: oldToken })).status).toBe(200)
    const { keys } = await (await call(app, 'GET', '/.well-known/jwks.json')).json()
    expect(keys).toHaveLength(2)
  } finally {
    await ctx.close()
  }
})
