import type { Sql } from '@flash-deal/db'
import type { Logger } from '@flash-deal/kit'
import type { TokenVerifier } from '@flash-deal/kit/jwt'
import type { OrderService } from '../orders/service'
import type { PaymentProvider } from '../payments/port'
import { checkoutController, paymentWebhookController } from './controller'
import type { Releaser } from './release'
import { CheckoutService } from './service'

/** What the order app needs to serve checkout (absent: no checkout routes). */
export interface CheckoutDeps {
  releaser: Releaser
  provider: PaymentProvider
  arrivalWaitMs: number
}

/** Checkout's routes: payment and cancel under /v1/orders, and the provider's webhook. */
export function checkoutRoutes(
  deps: CheckoutDeps,
  shared: { sql: Sql; orders: OrderService; logger: Logger; verifier: TokenVerifier },
) {
  const checkout = new CheckoutService({ ...shared, ...deps })
  return [
    checkoutController(checkout, shared.verifier),
    paymentWebhookController(checkout),
  ] as const
}
