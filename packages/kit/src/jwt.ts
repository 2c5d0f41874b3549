/**
 * Access-token verification for every service (the gateway first). It uses only `jose` and
 * WebCrypto, no `node:` imports, so it runs on edge runtimes too.
 *
 * What it checks: the signature against the issuer's JWKS (fetched and cached), `alg` from an
 * allow-list (never `none`, never HMAC, so a public key cannot be used as an HMAC secret),
 * `iss`, `aud`, `exp`/`nbf` with a small clock skew. Tokens already verified are cached until
 * they expire, so a hot path does not redo signature checks for a token it has seen.
 */
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose'
import { DomainError, ServiceUnavailableError, UnauthorizedError } from './errors'

export type Role = 'customer' | 'admin'

export interface AccessClaims {
  /** The user id. */
  sub: string
  role: Role
  /** The refresh-token family (session) the token was issued for. */
  sid: string
  jti: string
  iat: number
  exp: number
}

export interface TokenVerifierOptions {
  keys: JWTVerifyGetKey
  issuer: string
  audience: string
  algorithms?: string[]
  clockToleranceSeconds?: number
  /** How many verified tokens to remember. */
  cacheSize?: number
  now?: () => number
  /** Sessions revoked before their tokens expire (logout, refresh-token replay); see revocation.ts. */
  revoked?: { has(sessionId: string): boolean }
}

export class SessionRevokedError extends DomainError {
  constructor() {
    super(
      401,
      'session-revoked',
      'Session revoked',
      'This session was ended (logout or a replayed refresh token); log in again',
      {},
      { 'www-authenticate': 'Bearer error="invalid_token"' },
    )
  }
}

export interface TokenVerifier {
  verify(token: string): Promise<AccessClaims>
  /** Verifies an `Authorization: Bearer <token>` header value. */
  verifyAuthorization(header: string | null | undefined): Promise<AccessClaims>
}

export const ALLOWED_ALGORITHMS = ['EdDSA', 'ES256']

/**
 * The issuer's JWKS over HTTP, cached for ten minutes. A token with an unknown `kid` (a key
 * rotation) triggers a refetch, at most one per second so forged kids cannot flood the issuer.
 */
export const remoteJwks = (url: string) =>
  createRemoteJWKSet(new URL(url), {
    cacheMaxAge: 10 * 60_000,
    cooldownDuration: 1000,
    timeoutDuration: 2000,
  })

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const algorithms = options.algorithms ?? ALLOWED_ALGORITHMS
  const cacheSize = options.cacheSize ?? 10_000
  const now = options.now ?? (() => Date.now() / 1000)
  const verified = new Map<string, AccessClaims>()
  const revoked = options.revoked

  const verify = async (token: string): Promise<AccessClaims> => {
    const cached = verified.get(token)
    if (cached && cached.exp > now()) {
      // A set lookup in the local copy: revocation costs the hot path no Redis call.
      if (revoked?.has(cached.sid)) throw new SessionRevokedError()
      return cached
    }
    if (cached) verified.delete(token)

    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(token, options.keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms,
        clockTolerance: options.clockToleranceSeconds ?? 30,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        currentDate: new Date(now() * 1000),
      }))
    } catch (error) {
      throw toAuthError(error)
    }
    const claims = toClaims(payload)
    if (revoked?.has(claims.sid)) throw new SessionRevokedError()
    if (verified.size >= cacheSize) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = verified.keys().next().value
      if (oldest !== undefined) verified.delete(oldest)
    }
    verified.set(token, claims)
    return claims
  }

  return {
    verify,
    verifyAuthorization: (header) => {
      const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header?.trim() ?? '')
      if (!match?.[1]) return Promise.reject(new UnauthorizedError('A bearer token is required'))
      return verify(match[1])
    },
  }
}

function toClaims(payload: Record<string, unknown>): AccessClaims {
  const { sub, role, sid, jti, iat, exp } = payload
  if (
    typeof sub !== 'string' ||
    (role !== 'customer' && role !== 'admin') ||
    typeof sid !== 'string' ||
    typeof jti !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number'
  ) {
    throw new UnauthorizedError('The token does not carry the expected claims')
  }
  return { sub, role, sid, jti, iat, exp }
}

function toAuthError(error: unknown) {
  // Not being able to fetch the keys is our outage, not the caller's fault.
  if (error instanceof errors.JWKSTimeout || error instanceof TypeError) {
    return new ServiceUnavailableError('Token keys are unavailable; try again shortly', 1)
  }
  if (error instanceof errors.JWTExpired) return new UnauthorizedError('The token has expired')
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new UnauthorizedError(`The token's ${error.claim} claim is not accepted`)
  }
  return new UnauthorizedError('The token is not valid')
}
