import { Type as T } from '@sinclair/typebox'
import { paymentProviderConfig } from '../payments/config'

/** Checkout's settings, spread into the order service's config. */
export const checkoutConfig = {
  ...paymentProviderConfig,
  // The sandbox's own dev values (services/payment-sandbox/src/config.ts), so `make dev` and the
  // tests need no setting; production sets the provider's key and endpoint secret.
  PAYMENT_API_KEY: T.String({ minLength: 16, default: 'sk_test_flash_deal_sandbox_0123456789' }),
  PAYMENT_WEBHOOK_SECRET: T.String({
    minLength: 16,
    default: 'whsec_flash_deal_sandbox_0123456789',
  }),
  /** How often held orders past their payBy are expired; 0 turns the job off in this process. */
  EXPIRY_INTERVAL_MS: T.Integer({ minimum: 0, default: 1000 }),
  /** How often releases Redis has not been given yet are retried; 0 turns the sweeper off. */
  RELEASE_SWEEP_INTERVAL_MS: T.Integer({ minimum: 0, default: 2000 }),
  /** How often the release outbox is published to Kafka (OrderReleased); 0 turns it off. */
  RELEASE_PUBLISH_INTERVAL_MS: T.Integer({ minimum: 0, default: 1000 }),
  /**
   * How long a payment or cancel of a just-accepted (`pending`) order waits for Postgres. Below
   * the gateway's UPSTREAM_TIMEOUT_MS (5 s): at 5 s the gateway's 504 came first and the client
   * never saw this wait's own 503 + Retry-After (schemathesis found it on a loaded box).
   */
  PAYMENT_ARRIVAL_WAIT_MS: T.Integer({ minimum: 0, maximum: 20_000, default: 4000 }),
}
