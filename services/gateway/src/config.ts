import { baseConfig, httpUrl, port, redisUrl } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

export const GatewayConfig = T.Object({
  ...baseConfig,
  PORT: port(8080),
  REDIS_URL: redisUrl,
  AUTH_URL: httpUrl('http://127.0.0.1:8081'),
  PRODUCT_URL: httpUrl('http://127.0.0.1:8082'),
  ORDER_URL: httpUrl('http://127.0.0.1:8083'),
  /** Where the auth service publishes the keys that verify access tokens. */
  JWKS_URL: httpUrl('http://127.0.0.1:8081/.well-known/jwks.json'),
  JWT_ISSUER: T.String({ minLength: 1, default: 'flash-deal-auth' }),
  JWT_AUDIENCE: T.String({ minLength: 1, default: 'flash-deal' }),
  /** How long the gateway waits for an upstream before answering 504. */
  UPSTREAM_TIMEOUT_MS: T.Integer({ minimum: 50, maximum: 120_000, default: 5000 }),
})
