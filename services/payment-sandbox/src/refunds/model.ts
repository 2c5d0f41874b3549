import { Type as t } from '@sinclair/typebox'

export const Refund = t.Object(
  {
    id: t.String({ pattern: '^re_' }),
    object: t.Literal('refund'),
    amount: t.Integer(),
    currency: t.String(),
    payment_intent: t.String(),
    status: t.Literal('succeeded'),
    metadata: t.Record(t.String(), t.String()),
    created: t.Integer({ description: 'Unix seconds' }),
  },
  { title: 'Refund' },
)
export type Refund = typeof Refund.static

export const CreateRefundBody = t.Object(
  {
    payment_intent: t.String({ pattern: '^pi_[A-Za-z0-9]+$' }),
    amount: t.Optional(
      t.Integer({
        minimum: 1,
        description: 'Minor units; the whole unrefunded amount if left out',
      }),
    ),
    metadata: t.Optional(t.Record(t.String({ maxLength: 40 }), t.String({ maxLength: 500 }))),
  },
  { additionalProperties: false },
)
export type CreateRefundBody = typeof CreateRefundBody.static

export const RefundParams = t.Object({ id: t.String({ pattern: '^re_[A-Za-z0-9]+$' }) })
