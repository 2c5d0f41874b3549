import { describe, expect, test } from 'bun:test'
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { createTokenVerifier } from '../src/jwt'
import { revokedSessions, revokedUntil } from '../src/revocation'

describe('the local copy of revoked sessions', () => {
  test('a failed refresh keeps the last copy; a later one replaces it', async () => {
    let answer: () => Promise<string[]> = async () => ['a', 'b']
    const sessions = revokedSessions({ load: () => answer(), refreshMs: 1000 })
    await sessions.refresh()
    expect(sessions.has('a')).toBe(true)
    answer = async () => {
      throw new Error('redis down')
    }
    await sessions.refresh()
    expect(sessions.has('b')).toBe(true)
    answer = async () => ['c']
    await sessions.refresh()
    expect([sessions.has('a'), sessions.has('c')]).toEqual([false, true])
  })

  test('a session revoked here survives a refresh that raced its write to Redis', async () => {
    const sessions = revokedSessions({ load: async () => [], refreshMs: 1000 })
    sessions.add('mine')
    await sessions.refresh()
    expect(sessions.has('mine')).toBe(true)
  })

  test('the entry is kept until the last token of the session has expired, plus the skew', () => {
    expect(revokedUntil(900, 1_000_000)).toBe(1_000_000 + 930_000)
  })

  test('the verifier refuses a revoked session, cached token or not', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'EdDSA' }] }
    const revoked = new Set<string>()
    const verifier = createTokenVerifier({
      keys: createLocalJWKSet(jwks),
      issuer: 'i',
      audience: 'a',
      revoked,
    })
    const token = await new SignJWT({ role: 'customer', sid: 'session-1' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k' })
      .setSubject('u')
      .setIssuer('i')
      .setAudience('a')
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('j')
      .sign(privateKey)
    expect((await verifier.verify(token)).sid).toBe('session-1')
    revoked.add('session-1')
    // Now cached: the revocation is still checked on every call.
    await expect(verifier.verify(token)).rejects.toMatchObject({
      status: 401,
      slug: 'session-revoked',
    })
  })
})
