/** Tokens for tests: the run's internal (gateway-to-service) tokens, refused ones, and access tokens of a test issuer. */
import {
  INTERNAL_TOKEN_HEADER,
  internalTokenSigner,
  internalTokenVerifier,
} from '@flash-deal/kit/internal-auth'
import { createTokenVerifier, type Role } from '@flash-deal/kit/jwt'
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose'

/**
 * The service-to-service secret of the test run (`make test` exports it to the stack too), and
 * what a test that calls auth, product or order directly needs to pass as the gateway:
 * `internalAuthFor('product')` for the app's deps, `await internalHeaders('product')` on requests.
 */
export const internalAuthSecret =
  process.env.INTERNAL_AUTH_SECRET ?? 'test-internal-auth-secret-0123456789abcdef'
const internalSigner = internalTokenSigner(internalAuthSecret)
export const internalAuthFor = (audience: 'auth' | 'product' | 'order') =>
  internalTokenVerifier(internalAuthSecret, audience)
export const internalHeaders = async (
  audience: 'auth' | 'product' | 'order',
): Promise<Record<string, string>> => ({
  [INTERNAL_TOKEN_HEADER]: await internalSigner.tokenFor(audience),
})
export { internalSigner as internalTokens }

/**
 * Internal tokens a direct caller might try, each of which a service must refuse: none, garbage,
 * the right claims under another key, expired, for another service, from another issuer.
 */
export async function refusedInternalTokens(audience: 'auth' | 'product' | 'order') {
  const now = Math.floor(Date.now() / 1000)
  const sign = (claims: { aud?: string; iss?: string; iat?: number; exp?: number }, key?: string) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(claims.iss ?? 'flash-deal-gateway')
      .setAudience(claims.aud ?? audience)
      .setIssuedAt(claims.iat ?? now)
      .setExpirationTime(claims.exp ?? now + 60)
      .sign(new TextEncoder().encode(key ?? internalAuthSecret))
  const other = audience === 'order' ? 'product' : 'order'
  return [
    ['no token', undefined],
    ['a malformed token', 'not-a-jwt'],
    [
      'a token signed with another secret',
      await sign({}, 'an-attackers-guess-at-the-secret-0123456789'),
    ],
    ['an expired token', await sign({ iat: now - 200, exp: now - 120 })],
    [`a token for ${other}`, await sign({ aud: other })],
    ['a token from another issuer', await sign({ iss: 'flash-deal-auth' })],
  ] as const
}

/**
 * An app as the gateway reaches it: every request gets a valid internal token for `audience`
 * (unless the test set that header itself), as the gateway's proxy adds one.
 */
export function viaGateway<App extends { handle(request: Request): Promise<Response> }>(
  app: App,
  audience: 'auth' | 'product' | 'order',
): { handle(request: Request): Promise<Response> } {
  return {
    async handle(request) {
      const headers = new Headers(request.headers)
      if (!headers.has(INTERNAL_TOKEN_HEADER)) {
        headers.set(INTERNAL_TOKEN_HEADER, await internalSigner.tokenFor(audience))
      }
      return app.handle(new Request(request, { headers }))
    },
  }
}

/**
 * A signing key and a verifier that trusts it, for testing routes behind `bearerAuth` without
 * running the auth service: `tokenFor('admin')` is a valid admin access token.
 */
export async function testTokens(options: { issuer?: string; audience?: string } = {}) {
  const issuer = options.issuer ?? 'flash-deal-auth'
  const audience = options.audience ?? 'flash-deal'
  const signer = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  // The key set a real issuer would publish; serve it to let spawned services verify too.
  const jwks = { keys: [{ ...(await exportJWK(signer.publicKey)), kid: 'test', alg: 'EdDSA' }] }
  const verifier = createTokenVerifier({
    keys: createLocalJWKSet(jwks),
    issuer,
    audience,
  })
  const tokenFor = (role: Role, overrides: { sub?: string; audience?: string } = {}) =>
    new SignJWT({ role, sid: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'test' })
      .setSubject(overrides.sub ?? crypto.randomUUID())
      .setIssuer(issuer)
      .setAudience(overrides.audience ?? audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(crypto.randomUUID())
      .sign(signer.privateKey)
  return { verifier, tokenFor, jwks }
}
