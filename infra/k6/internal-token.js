// The gateway's X-Internal-Token (HS256, iss flash-deal-gateway, 60 s), for load scripts that
// call an internal service directly (the product bench compares two product services without a
// gateway in front). Re-signed every 30 s per VU, as the gateway does, so the cost is negligible.
import crypto from 'k6/crypto'
import encoding from 'k6/encoding'

const cache = {}

export function internalToken(audience) {
  const secret = __ENV.INTERNAL_AUTH_SECRET
  if (!secret) throw new Error('INTERNAL_AUTH_SECRET is not set')
  const now = Math.floor(Date.now() / 1000)
  const cached = cache[audience]
  if (cached && now - cached.iat < 30) return cached.token
  const part = (value) => encoding.b64encode(JSON.stringify(value), 'rawurl')
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: 'flash-deal-gateway', aud: audience, iat: now, exp: now + 60 })}`
  const token = `${unsigned}.${crypto.hmac('sha256', secret, unsigned, 'base64rawurl')}`
  cache[audience] = { token, iat: now }
  return token
}
