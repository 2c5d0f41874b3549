import type { AccessClaims, Role } from '@flash-deal/kit/jwt'
import { SignJWT } from 'jose'
import { SIGNING_ALGORITHM, type SigningKeys } from '../keys/key-store'

export interface TokenSettings {
  issuer: string
  audience: string
  accessTtlSeconds: number
  refreshTtlSeconds: number
}

export interface TokenPair {
  accessToken: string
  refreshToken: string
  tokenType: 'Bearer'
  expiresIn: number
}

/** Signs a short-lived access token; `sid` names the refresh-token family (the session). */
export async function signAccessToken(
  keys: SigningKeys,
  settings: TokenSettings,
  subject: { userId: string; role: Role; sessionId: string },
): Promise<string> {
  return new SignJWT({ role: subject.role, sid: subject.sessionId } satisfies Partial<AccessClaims>)
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: keys.kid, typ: 'JWT' })
    .setSubject(subject.userId)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(`${settings.accessTtlSeconds}s`)
    .setJti(crypto.randomUUID())
    .sign(keys.privateKey)
}

/** An opaque refresh token: 256 random bits. Only its hash is stored. */
export function newRefreshToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
}

/** A fast hash is enough: the token is random and long, so there is nothing to brute-force. */
export function hashRefreshToken(token: string): string {
  return new Bun.CryptoHasher('sha256').update(token).digest('hex')
}
