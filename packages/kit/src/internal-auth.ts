/**
 * Service-to-service authentication: the gateway is the only caller the internal services
 * accept on `/v1/*`. It proves it with `X-Internal-Token`, a short-lived HS256 JWT keyed by the
 * shared `INTERNAL_AUTH_SECRET` (`iss: flash-deal-gateway`, `aud: <service>`, `exp = iat + 60 s`).
 *
 * Why a shared-secret JWT and not mTLS: it works the same on Bun, in compose and on an edge
 * runtime (WebCrypto and `jose` only, no `node:` imports, no certificates to provision), and a
 * token per audience means a token captured by one service cannot be replayed to another.
 * The gateway signs once per ~30 s per audience, so the hot path pays no signing; the services
 * remember the few tokens they verified until they expire, so they pay one HMAC per token.
 */
import { Elysia } from 'elysia'
import { errors, jwtVerify, SignJWT } from 'jose'
import { DomainError } from './errors'

export const INTERNAL_TOKEN_HEADER = 'x-internal-token'
export const INTERNAL_TOKEN_ISSUER = 'flash-deal-gateway'
const ALGORITHM = 'HS256'
const LIFETIME_SECONDS = 60
const RESIGN_AFTER_MS = 30_000

export class InternalAuthRequiredError extends DomainError {
  constructor(detail: string) {
    super(401, 'internal-auth-required', 'Internal authentication required', detail)
  }
}

function secretKey(secret: string): Uint8Array {
  const key = new TextEncoder().encode(secret)
  // HS256 with a short key is guessable offline from one captured token.
  if (key.byteLength < 32) throw new Error('INTERNAL_AUTH_SECRET must be at least 32 bytes')
  return key
}

export interface InternalTokenSigner {
  /** A valid token for `audience`; the same string for ~30 s, then a fresh one. */
  tokenFor(audience: string): Promise<string>
}

export function internalTokenSigner(
  secret: string,
  options: { now?: () => number } = {},
): InternalTokenSigner {
  const key = secretKey(secret)
  const now = options.now ?? Date.now
  const cache = new Map<string, { token: Promise<string>; signedAt: number }>()
  const sign = (audience: string, at: number) =>
    new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(INTERNAL_TOKEN_ISSUER)
      .setAudience(audience)
      .setIssuedAt(Math.floor(at / 1000))
      .setExpirationTime(Math.floor(at / 1000) + LIFETIME_SECONDS)
      .sign(key)
  return {
    tokenFor(audience) {
      const at = now()
      const cached = cache.get(audience)
      if (cached && at - cached.signedAt < RESIGN_AFTER_MS) return cached.token
      const token = sign(audience, at)
      cache.set(audience, { token, signedAt: at })
      // A failed signing must not stay cached.
      token.catch(() => cache.delete(audience))
      return token
    },
  }
}

export interface InternalTokenVerifier {
  readonly audience: string
  /** Resolves when `token` is a valid internal token for this service; throws a 401 otherwise. */
  verify(token: string | null | undefined): Promise<void>
}

export function internalTokenVerifier(
  secret: string,
  audience: string,
  options: { now?: () => number } = {},
): InternalTokenVerifier {
  const key = secretKey(secret)
  const now = options.now ?? Date.now
  // The gateway sends one token per ~30 s: a handful of entries, each kept until it expires.
  const verified = new Map<string, number>()
  return {
    audience,
    async verify(token) {
      if (!token) throw new InternalAuthRequiredError('Only the gateway may call this service')
      const expiresAt = verified.get(token)
      if (expiresAt !== undefined && expiresAt > now()) return
      if (expiresAt !== undefined) verified.delete(token)
      let exp: number | undefined
      try {
        ;({
          payload: { exp },
        } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          issuer: INTERNAL_TOKEN_ISSUER,
          audience,
          requiredClaims: ['iat', 'exp'],
          clockTolerance: 5,
          currentDate: new Date(now()),
          maxTokenAge: LIFETIME_SECONDS + 5,
        }))
      } catch (error) {
        throw new InternalAuthRequiredError(
          error instanceof errors.JWTExpired
            ? 'The internal token has expired'
            : error instanceof errors.JWTClaimValidationFailed
              ? `The internal token's ${error.claim} claim is not accepted`
              : 'The internal token is not valid',
        )
      }
      if (verified.size >= 64) verified.clear()
      verified.set(token, (exp ?? 0) * 1000)
    },
  }
}

// Requests that carried a valid internal token: only on those is X-Forwarded-For the gateway's.
const fromGateway = new WeakSet<Request>()

/** True when the path is under `/v1` (the public API the gateway proxies). */
function isApiPath(url: string): boolean {
  const pathStart = url.indexOf('/', url.indexOf('//') + 2)
  if (pathStart < 0) return false
  const next = url.charAt(pathStart + 3)
  return url.startsWith('/v1', pathStart) && (next === '' || next === '/' || next === '?')
}

/**
 * The plugin auth, product and order use: every `/v1/*` request needs a valid internal token
 * for this service's audience, checked before the body is read; health, Swagger and the JWKS
 * (outside `/v1`) stay open. A refusal is 401 problem+json `internal-auth-required`.
 */
export function internalAuth(verifier: InternalTokenVerifier) {
  return new Elysia({ name: `internal-auth-${verifier.audience}` }).onRequest(
    async ({ request }) => {
      if (!isApiPath(request.url)) return
      await verifier.verify(request.headers.get(INTERNAL_TOKEN_HEADER))
      fromGateway.add(request)
    },
  )
}

/**
 * The client's address: the last `X-Forwarded-For` entry (the socket address the gateway saw
 * and appended) when the request came from the gateway, the socket address otherwise — a direct
 * caller cannot choose the address it is counted under.
 */
export function trustedClientAddress(request: Request, socketAddress: string | undefined): string {
  if (fromGateway.has(request)) {
    const last = request.headers.get('x-forwarded-for')?.split(',').at(-1)?.trim()
    if (last) return last
  }
  return socketAddress || 'unknown'
}
