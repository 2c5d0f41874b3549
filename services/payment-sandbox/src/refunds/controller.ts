import { ProblemSchema } from '@flash-deal/kit'
import { Elysia } from 'elysia'
import { apiKeySecurity } from '../api-key'
import { idempotencyKeyOf, requestIdOf } from '../http'
import { idempotencyKeyParameter } from '../intents/model'
import { CreateRefundBody, Refund, RefundParams } from './model'
import type { RefundService } from './service'

export function refundsController(refunds: RefundService) {
  return new Elysia({ name: 'refunds', prefix: '/v1/refunds' })
    .post(
      '',
      async ({ body, headers, set, status }) => {
        const answer = await refunds.create(body, {
          requestId: requestIdOf(set),
          idempotencyKey: idempotencyKeyOf(headers),
        })
        if (answer.replayed) set.headers['idempotent-replayed'] = 'true'
        return status(200, answer.body)
      },
      {
        body: CreateRefundBody,
        response: {
          200: Refund,
          400: ProblemSchema,
          401: ProblemSchema,
          409: ProblemSchema,
          415: ProblemSchema,
          422: ProblemSchema,
        },
        detail: {
          tags: ['refunds'],
          summary: 'Refund a succeeded payment intent, wholly or in part',
          description:
            '400 `payment_intent_unexpected_state` when nothing was charged, `charge_already_refunded`, `amount_too_large` above what is left. Sends a `refund.created` event.',
          security: apiKeySecurity,
          parameters: [idempotencyKeyParameter],
        },
      },
    )
    .get('/:id', ({ params }) => refunds.retrieve(params.id), {
      params: RefundParams,
      response: { 200: Refund, 401: ProblemSchema, 404: ProblemSchema, 422: ProblemSchema },
      detail: { tags: ['refunds'], summary: 'Retrieve a refund', security: apiKeySecurity },
    })
}
