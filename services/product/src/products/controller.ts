import { isUuid } from '@flash-deal/contracts'
import {
  bearerAuth,
  bearerSecurity,
  isInstant,
  NotFoundError,
  ProblemSchema,
  ValidationError,
} from '@flash-deal/kit'
import { listCursor } from '@flash-deal/kit/cursor'
import type { TokenVerifier } from '@flash-deal/kit/jwt'
import { Elysia } from 'elysia'
import type { Product, ProductRepository } from '../repository/base'
import {
  ListQuery,
  NewProductBody,
  ProductId,
  ProductPage,
  ProductPatchBody,
  ProductView,
} from './model'

const view = (product: Product) => ({
  id: product.id,
  name: product.name,
  description: product.description,
  price: product.price,
  currency: product.currency,
  createdAt: product.createdAt.toISOString(),
  updatedAt: product.updatedAt.toISOString(),
})

/** Newest first: the page after the product created at `createdAt` (ties broken by id). */
const productCursor = listCursor({
  parts: (last: { createdAt: Date; id: string }) => [last.createdAt.toISOString(), last.id],
  read([at, id]) {
    const createdAt = new Date(at ?? '')
    if (!id || !isUuid(id.toLowerCase()) || Number.isNaN(createdAt.getTime())) return undefined
    // Well formed but holding an instant outside the API's range (`+275760-…`): Postgres cannot
    // compare with it, so it is refused here rather than failing the query.
    if (!isInstant(at ?? '')) {
      throw new ValidationError('query.cursor: holds an instant outside 1970–9999', [
        { field: 'query.cursor', message: 'holds an instant outside 1970–9999' },
      ])
    }
    return { createdAt, id: id.toLowerCase() }
  },
})

const notFound = (id: string) => new NotFoundError(`No product with id ${id}`)

/** The product routes: anyone reads, an admin writes. */
export function productsController(products: ProductRepository, verifier: TokenVerifier) {
  return new Elysia({ name: 'products', prefix: '/v1/products' })
    .use(productReads(products))
    .use(productWrites(products, verifier))
}

function productReads(products: ProductRepository) {
  return new Elysia({ name: 'products-read' })
    .get(
      '',
      async ({ query }) => {
        const limit = query.limit ?? 20
        const items = await products.listProducts({
          limit,
          after: query.cursor ? productCursor.decode(query.cursor) : undefined,
        })
        const last = items.at(-1)
        return {
          items: items.map(view),
          nextCursor: items.length === limit && last ? productCursor.encode(last) : null,
        }
      },
      {
        query: ListQuery,
        response: { 200: ProductPage, 400: ProblemSchema, 422: ProblemSchema },
        detail: { tags: ['products'], summary: 'Products, newest first, by cursor' },
      },
    )
    .get(
      '/:id',
      async ({ params, set }) => {
        const read = await products.getProduct(params.id)
        // X-Cache says where this answer came from: Redis (hit) or Postgres (miss).
        set.headers['x-cache'] = read.source === 'cache' ? 'hit' : 'miss'
        if (!read.value) throw notFound(params.id)
        return view(read.value)
      },
      {
        params: ProductId,
        response: { 200: ProductView, 404: ProblemSchema, 422: ProblemSchema },
        detail: { tags: ['products'], summary: 'One product (X-Cache: hit|miss)' },
      },
    )
}

function productWrites(products: ProductRepository, verifier: TokenVerifier) {
  return new Elysia({ name: 'products-write' })
    .use(bearerAuth(verifier))
    .post(
      '',
      async ({ body, status }) =>
        status(
          201,
          view(await products.createProduct({ ...body, description: body.description ?? '' })),
        ),
      {
        auth: 'admin',
        body: NewProductBody,
        response: { 201: ProductView, 401: ProblemSchema, 403: ProblemSchema, 422: ProblemSchema },
        detail: {
          tags: ['products'],
          summary: 'Create a product (admin)',
          security: bearerSecurity,
        },
      },
    )
    .patch(
      '/:id',
      async ({ params, body }) => {
        const updated = await products.updateProduct(params.id, body)
        if (!updated) throw notFound(params.id)
        return view(updated)
      },
      {
        auth: 'admin',
        params: ProductId,
        body: ProductPatchBody,
        response: {
          200: ProductView,
          401: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
          422: ProblemSchema,
        },
        detail: {
          tags: ['products'],
          summary: 'Change a product (admin)',
          security: bearerSecurity,
        },
      },
    )
}
