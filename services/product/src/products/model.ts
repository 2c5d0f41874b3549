import { Type as T } from '@sinclair/typebox'
import { t } from 'elysia'

// Integers are JSON integers only: Elysia's `t.Integer` also takes a numeric string ("100"),
// TypeBox's does not (decisions §3). Query strings keep Elysia's, since they are text.

// Response shapes are closed explicitly: Elysia marks them closed itself once a route has
// answered, which would make the exported OpenAPI document depend on traffic.
const closed = { additionalProperties: false }

export const ProductId = t.Object({ id: t.String({ format: 'uuid' }) })

const name = t.String({ minLength: 1, maxLength: 200 })
const description = t.String({ maxLength: 5000 })
const price = T.Integer({
  minimum: 0,
  maximum: 2_147_483_647,
  description: 'Integer minor units (cents)',
})
const currency = t.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. USD' })

export const NewProductBody = t.Object(
  { name, description: t.Optional(description), price, currency },
  { additionalProperties: false },
)

// No defaults here: a field left out of a PATCH must stay as it is.
export const ProductPatchBody = t.Object(
  {
    name: t.Optional(name),
    description: t.Optional(description),
    price: t.Optional(price),
    currency: t.Optional(currency),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const ListQuery = t.Object(
  {
    limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: t.Optional(t.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

export const ProductView = t.Object(
  {
    id: t.String(),
    name: t.String(),
    description: t.String(),
    price: T.Integer(),
    currency: t.String(),
    createdAt: t.String({ format: 'date-time' }),
    updatedAt: t.String({ format: 'date-time' }),
  },
  closed,
)

export const ProductPage = t.Object(
  {
    items: t.Array(ProductView),
    nextCursor: t.Union([t.String(), t.Null()]),
  },
  closed,
)
