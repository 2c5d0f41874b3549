import { idempotencyKeyOf, idempotencyKeyParameter } from '@flash-deal/contracts'
import { bearerAuth, bearerSecurity, ProblemSchema } from '@flash-deal/kit'
import type { TokenVerifier } from '@flash-deal/kit/jwt'
import { Elysia, t } from 'elysia'
import { OrderId, OrderView } from '../orders/model'
import type { CheckoutService } from './service'

export const PaymentBody = t.Object(
  {
    paymentMethod: t.String({
      pattern: '^pm_[A-Za-z0-9_]{1,96}$',
      description: "The provider's payment method id, e.g. `pm_card_visa` (sandbox test cards)",
    }),
  },
  { additionalProperties: false },
)

const refusals = {
  401: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  422: ProblemSchema,
  503: ProblemSchema,
}

export function checkoutController(checkout: CheckoutService, verifier: TokenVerifier) {
  return new Elysia({ name: 'checkout', prefix: '/v1/orders' })
    .use(bearerAuth(verifier))
    .post(
      '/:id/payment',
      async ({ params, body, headers, user, status }) => {
        const answer = await checkout.pay(
          params.id,
          user,
          idempotencyKeyOf(headers),
          body.paymentMethod,
        )
        return status(answer.code, answer.order)
      },
      {
        auth: 'user',
        params: OrderId,
        body: PaymentBody,
        response: {
          200: OrderView,
          202: OrderView,
          400: ProblemSchema,
          402: ProblemSchema,
          502: ProblemSchema,
          ...refusals,
        },
        detail: {
          tags: ['checkout'],
          summary: 'Pay your held order (charges its total once; 200 paid, 202 while confirming)',
          description:
            'Owner only. A `pending` order is waited for briefly (503 + Retry-After if it has not reached Postgres). 409 `order-already-paid`, `order-expired`, `order-cancelled`; 402 `payment-declined` (still held: pay again with another method and a new Idempotency-Key); 503 + Retry-After when the provider is down or its answer is unknown (still held). A retry with the same Idempotency-Key answers the same result and charges nothing more.',
          security: bearerSecurity,
          parameters: [idempotencyKeyParameter],
        },
      },
    )
    .post('/:id/cancel', ({ params, user }) => checkout.cancel(params.id, user), {
      auth: 'user',
      params: OrderId,
      response: { 200: OrderView, ...refusals },
      detail: {
        tags: ['checkout'],
        summary: 'Cancel a held order (owner or admin, before payment): its units go back on sale',
        description: '409 `order-already-paid` after payment, `order-expired` once expired.',
        security: bearerSecurity,
      },
    })
}

/**
 * The provider's webhook, outside `/v1`: the provider calls the order service itself (not
 * through the gateway) and proves who it is with the signature (checked by the provider
 * adapter: `PaymentProvider.readWebhook`), not an internal token.
 */
export function paymentWebhookController(checkout: CheckoutService) {
  return new Elysia({ name: 'payment-webhook' }).post(
    '/webhooks/payments',
    async ({ request, headers }) => {
      // The signature covers the raw bytes, so the body is read as text, never re-serialised.
      await checkout.applyWebhook({
        payload: await request.text(),
        signature: headers['stripe-signature'],
      })
      return { received: true }
    },
    {
      parse: 'none',
      response: {
        200: t.Object({ received: t.Boolean() }),
        400: ProblemSchema,
        503: ProblemSchema,
      },
      detail: {
        tags: ['checkout'],
        summary: "The payment provider's signed events (Stripe-Signature; applied once)",
      },
    },
  )
}
