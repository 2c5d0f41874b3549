import {
  idempotencyKeyOf,
  idempotencyKeyParameter,
  PurchaseAccepted,
  PurchaseBody,
  PurchaseParams,
} from '@flash-deal/contracts'
import { bearerAuth, bearerSecurity, ProblemSchema } from '@flash-deal/kit'
import type { TokenVerifier } from '@flash-deal/kit/jwt'
import { Elysia } from 'elysia'
import type { PurchaseService } from './service'

export function purchaseController(purchases: PurchaseService, verifier: TokenVerifier) {
  return new Elysia({ name: 'purchase', prefix: '/v1/deals' }).use(bearerAuth(verifier)).post(
    '/:id/purchase',
    async ({ params, body, headers, user, set, status }) => {
      const result = await purchases.purchase({
        dealId: params.id,
        userId: user.sub,
        quantity: body.quantity ?? 1,
        idempotencyKey: idempotencyKeyOf(headers),
      })
      set.headers.location = `/v1/orders/${result.orderId}`
      if (result.replayed) set.headers['idempotent-replayed'] = 'true'
      return status(201, { orderId: result.orderId, status: result.status })
    },
    {
      auth: 'user',
      params: PurchaseParams,
      body: PurchaseBody,
      response: {
        201: PurchaseAccepted,
        400: ProblemSchema,
        401: ProblemSchema,
        404: ProblemSchema,
        409: ProblemSchema,
        422: ProblemSchema,
        503: ProblemSchema,
      },
      detail: {
        tags: ['purchase'],
        summary: 'Buy from a live deal (sync mode: confirmed in Postgres before the answer)',
        description:
          'A retry with the same Idempotency-Key answers the first order again, with `Idempotent-Replayed: true`, and takes nothing more. The order is at `Location`.',
        security: bearerSecurity,
        parameters: [idempotencyKeyParameter],
      },
    },
  )
}
