import { t } from 'elysia'

// Response shapes are closed explicitly, as in product: otherwise Elysia closes them once a
// route has answered, and the OpenAPI document would depend on traffic.
const closed = { additionalProperties: false }

export const OrderId = t.Object({ id: t.String({ format: 'uuid' }) })

export const OrderListQuery = t.Object(
  {
    limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: t.Optional(t.String({ maxLength: 200, description: 'nextCursor of the page before' })),
  },
  closed,
)

const at = t.String({ format: 'date-time' })

export const OrderView = t.Object(
  {
    id: t.String(),
    dealId: t.String(),
    userId: t.String(),
    quantity: t.Integer(),
    unitPrice: t.Integer({ description: 'Deal price when accepted, integer minor units' }),
    status: t.Union(
      [
        t.Literal('pending'),
        t.Literal('confirmed'),
        t.Literal('rejected'),
        t.Literal('paid'),
        t.Literal('expired'),
        t.Literal('cancelled'),
      ],
      {
        description:
          '`pending`: accepted, not yet in Postgres (async mode); then `confirmed` (units held until `payBy`) or `rejected`; a confirmed order becomes `paid`, `expired` (unpaid at `payBy`) or `cancelled`, and the units of an expired or cancelled one go back on sale',
      },
    ),
    total: t.Integer({ description: 'quantity × unitPrice, integer minor units: what is charged' }),
    createdAt: at,
    acceptedAt: at,
    confirmedAt: t.Union([at, t.Null()]),
    payBy: t.Union([at, t.Null()], {
      description: "acceptedAt + the deal's holdSeconds: unpaid by then, the order expires",
    }),
    paymentReference: t.Union([t.String(), t.Null()], {
      description: "The payment provider's id of the payment, once paid",
    }),
  },
  closed,
)

export const OrderPage = t.Object(
  { items: t.Array(OrderView), nextCursor: t.Union([t.String(), t.Null()]) },
  closed,
)

export type OrderView = typeof OrderView.static
export type OrderStatus = OrderView['status']
