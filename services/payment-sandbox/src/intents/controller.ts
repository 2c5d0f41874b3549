import { ProblemSchema } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { apiKeySecurity } from '../api-key'
import { idempotencyKeyOf, requestIdOf } from '../http'
import {
  ConfirmPaymentIntentBody,
  CreatePaymentIntentBody,
  idempotencyKeyParameter,
  PaymentIntent,
  PaymentIntentParams,
} from './model'
import type { PaymentIntentService } from './service'

const problems = {
  400: ProblemSchema,
  401: ProblemSchema,
  402: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  415: ProblemSchema,
  422: ProblemSchema,
}

/** `slowAnswerMs`: how late a `pm_card_timeout` confirmation answers. */
export function paymentIntentsController(intents: PaymentIntentService, slowAnswerMs: number) {
  return new Elysia({ name: 'payment-intents', prefix: '/v1/payment_intents' })
    .post(
      '',
      async ({ body, headers, set, status }) => {
        const answer = await intents.create(body, {
          requestId: requestIdOf(set),
          idempotencyKey: idempotencyKeyOf(headers),
        })
        if (answer.replayed) set.headers['idempotent-replayed'] = 'true'
        if (answer.slow) await Bun.sleep(slowAnswerMs)
        return status(200, answer.body)
      },
      {
        body: CreatePaymentIntentBody,
        response: { 200: PaymentIntent, ...problems },
        detail: {
          tags: ['payment intents'],
          summary: 'Create a payment intent (and confirm it at once with confirm: true)',
          description:
            "Metadata keeps the merchant's own reference (`orderId`). With `confirm: true` and a `payment_method` it charges in the same call: 402 `card_declined` for a declined card.",
          security: apiKeySecurity,
          parameters: [idempotencyKeyParameter],
        },
      },
    )
    .get('/:id', ({ params }) => intents.retrieve(params.id), {
      params: PaymentIntentParams,
      response: { 200: PaymentIntent, 401: ProblemSchema, 404: ProblemSchema, 422: ProblemSchema },
      detail: {
        tags: ['payment intents'],
        summary: 'Retrieve a payment intent',
        security: apiKeySecurity,
      },
    })
    .post(
      '/:id/confirm',
      async ({ params, body, headers, set, status }) => {
        const answer = await intents.confirm(params.id, body ?? {}, {
          requestId: requestIdOf(set),
          idempotencyKey: idempotencyKeyOf(headers),
        })
        if (answer.replayed) set.headers['idempotent-replayed'] = 'true'
        if (answer.slow) await Bun.sleep(slowAnswerMs)
        return status(200, answer.body)
      },
      {
        params: PaymentIntentParams,
        body: T.Optional(ConfirmPaymentIntentBody),
        response: { 200: PaymentIntent, ...problems },
        detail: {
          tags: ['payment intents'],
          summary: 'Confirm (charge) a payment intent with a test payment method',
          description:
            '`pm_card_visa`, `pm_card_mastercard`: succeeded. `pm_card_chargeDeclined`, `pm_card_chargeDeclinedInsufficientFunds`: 402 `card_declined` (the intent goes back to `requires_payment_method`). `pm_card_timeout`: the charge succeeds at once, but the answer comes only after PAYMENT_SLOW_ANSWER_MS (8 s), later than a client waits: retrieve the intent or wait for the webhook. Any other id: 400 `resource_missing`. Already succeeded: 400 `payment_intent_unexpected_state`. Every outcome is also sent as a signed webhook event.',
          security: apiKeySecurity,
          parameters: [idempotencyKeyParameter],
        },
      },
    )
}
