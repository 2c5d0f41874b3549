import { Type as T } from '@sinclair/typebox'
import { t } from 'elysia'

// Integers are JSON integers only: Elysia's `t.Integer` also takes a numeric string ("100"),
// TypeBox's does not (decisions §3). Query strings keep Elysia's, since they are text.

const closed = { additionalProperties: false }

export const DealId = t.Object({ id: t.String({ format: 'uuid' }) })

export const NewDealBody = t.Object(
  {
    productId: t.String({ format: 'uuid' }),
    price: T.Integer({
      minimum: 0,
      maximum: 2_147_483_647,
      description: 'Deal price, integer minor units',
    }),
    stock: T.Integer({ minimum: 1, maximum: 1_000_000 }),
    perUserLimit: T.Integer({
      minimum: 1,
      description: 'Most units one user may buy; at most the stock',
    }),
    startsAt: t.String({ format: 'date-time' }),
    endsAt: t.String({ format: 'date-time', description: 'After startsAt' }),
    holdSeconds: t.Optional(
      t.Integer({
        minimum: 5,
        maximum: 3600,
        description:
          'Payment window: an accepted order is held this long (payBy = acceptedAt + holdSeconds), then released if unpaid; 600 when left out',
      }),
    ),
  },
  closed,
)

export const DealPatchBody = t.Object(
  {
    price: t.Optional(T.Integer({ minimum: 0, maximum: 2_147_483_647 })),
    stock: t.Optional(T.Integer({ minimum: 1, maximum: 1_000_000 })),
    perUserLimit: t.Optional(T.Integer({ minimum: 1 })),
    startsAt: t.Optional(t.String({ format: 'date-time' })),
    endsAt: t.Optional(t.String({ format: 'date-time' })),
  },
  { ...closed, minProperties: 1 },
)

export const DealListQuery = t.Object(
  {
    status: t.Optional(
      t.Union([t.Literal('live'), t.Literal('upcoming'), t.Literal('open')], { default: 'open' }),
    ),
  },
  closed,
)

export const DealView = t.Object(
  {
    id: t.String(),
    productId: t.String(),
    price: T.Integer(),
    stock: T.Integer(),
    perUserLimit: T.Integer(),
    startsAt: t.String({ format: 'date-time' }),
    endsAt: t.String({ format: 'date-time' }),
    holdSeconds: t.Integer({ description: 'Payment window of an accepted order, in seconds' }),
    status: t.Union([
      t.Literal('scheduled'),
      t.Literal('live'),
      t.Literal('sold_out'),
      t.Literal('ended'),
    ]),
    remaining: T.Integer({
      description: 'Units left: from Redis while the sale runs, else from Postgres',
    }),
  },
  closed,
)

export const DealList = t.Object({ items: t.Array(DealView) }, closed)

export type NewDealBody = typeof NewDealBody.static
export type DealPatchBody = typeof DealPatchBody.static
export type DealView = typeof DealView.static
