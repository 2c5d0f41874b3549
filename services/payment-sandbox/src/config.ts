import { baseConfig, port } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

/**
 * The sandbox's settings. `PAYMENT_API_KEY` and `PAYMENT_WEBHOOK_SECRET` carry the same names on
 * the order side (the key it presents, the secret it verifies with), as Stripe's dashboard hands
 * a merchant an `sk_test_…` key and a `whsec_…` endpoint secret. The defaults are sandbox test
 * values, never a production secret.
 */
export const PaymentSandboxConfig = T.Object({
  ...baseConfig,
  PORT: port(8086),
  /** The secret key merchants call the API with (`Authorization: Bearer <key>`). */
  PAYMENT_API_KEY: T.String({ minLength: 16, default: 'sk_test_flash_deal_sandbox_0123456789' }),
  /** Signs every webhook (Stripe-Signature, HMAC-SHA256). */
  PAYMENT_WEBHOOK_SECRET: T.String({
    minLength: 16,
    default: 'whsec_flash_deal_sandbox_0123456789',
  }),
  /** Where events are POSTed; unset, events are recorded (GET /v1/events) but not sent. */
  PAYMENT_WEBHOOK_URL: T.Optional(T.String({ pattern: '^https?://' })),
  /** Deliveries of one event before giving up (the first one included). */
  PAYMENT_WEBHOOK_MAX_ATTEMPTS: T.Integer({ minimum: 1, maximum: 50, default: 8 }),
  /** Backoff after a failed delivery: base × 2^(attempt-1), capped; Stripe spreads over days. */
  PAYMENT_WEBHOOK_RETRY_BASE_MS: T.Integer({ minimum: 1, default: 1000 }),
  PAYMENT_WEBHOOK_RETRY_MAX_MS: T.Integer({ minimum: 1, default: 60_000 }),
  /** How long one delivery may take before it counts as failed. */
  PAYMENT_WEBHOOK_TIMEOUT_MS: T.Integer({ minimum: 10, default: 5000 }),
  /** Extra copies of every event sent after it was delivered (tests of idempotent receivers). */
  PAYMENT_WEBHOOK_DUPLICATES: T.Integer({ minimum: 0, maximum: 10, default: 0 }),
  /**
   * How late the answer to a `pm_card_timeout` confirmation comes (its charge succeeds at once);
   * at most 9 s, since Bun closes a connection that has been silent for 10 s.
   */
  PAYMENT_SLOW_ANSWER_MS: T.Integer({ minimum: 0, maximum: 9000, default: 8000 }),
  /** `file`: a journal under FLASH_STATE_DIR survives restarts; `memory`: forgotten on exit. */
  PAYMENT_SANDBOX_STORE: T.Union([T.Literal('file'), T.Literal('memory')], { default: 'file' }),
  FLASH_STATE_DIR: T.String({ minLength: 1, default: '.state/dev' }),
  /** Idempotency keys are remembered this long (Stripe: 24 hours). */
  PAYMENT_IDEMPOTENCY_TTL_SECONDS: T.Integer({ minimum: 1, default: 86_400 }),
})

export type PaymentSandboxConfig = typeof PaymentSandboxConfig.static
