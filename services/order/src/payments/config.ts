import { httpUrl } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

/**
 * The payment provider's settings, to spread into the order service's config when checkout is
 * wired (`...paymentProviderConfig`). The key and the secret have no default: they are the
 * provider's (under `make dev`, the sandbox's test values, PAYMENT_API_KEY and
 * PAYMENT_WEBHOOK_SECRET, the same names the sandbox reads).
 */
export const paymentProviderConfig = {
  PAYMENT_PROVIDER_URL: httpUrl('http://127.0.0.1:8086'),
  PAYMENT_API_KEY: T.String({ minLength: 16 }),
  PAYMENT_WEBHOOK_SECRET: T.String({ minLength: 16 }),
  /** Shorter than the gateway's upstream timeout, so a slow provider is our 503, not its 504. */
  PAYMENT_PROVIDER_TIMEOUT_MS: T.Integer({ minimum: 100, maximum: 30_000, default: 3000 }),
  /** How far a webhook's signed timestamp may be from now (replay window). */
  PAYMENT_WEBHOOK_TOLERANCE_SECONDS: T.Integer({ minimum: 1, maximum: 3600, default: 300 }),
}
