import { bearerAuth, bearerSecurity, ProblemSchema } from '@flash-deal/kit'
import type { TokenVerifier } from '@flash-deal/kit/jwt'
import { Elysia } from 'elysia'
import { OrderId, OrderListQuery, OrderPage, OrderView } from './model'
import type { OrderService } from './service'

export function ordersController(orders: OrderService, verifier: TokenVerifier) {
  return new Elysia({ name: 'orders', prefix: '/v1/orders' })
    .use(bearerAuth(verifier))
    .get('', ({ user, query }) => orders.list(user.sub, query.limit ?? 20, query.cursor), {
      auth: 'user',
      query: OrderListQuery,
      response: {
        200: OrderPage,
        400: ProblemSchema,
        401: ProblemSchema,
        422: ProblemSchema,
        503: ProblemSchema,
      },
      detail: {
        tags: ['orders'],
        summary: 'Your orders, newest first, by cursor',
        security: bearerSecurity,
      },
    })
    .get('/:id', ({ user, params }) => orders.get(params.id, user), {
      auth: 'user',
      params: OrderId,
      response: {
        200: OrderView,
        401: ProblemSchema,
        404: ProblemSchema,
        422: ProblemSchema,
        503: ProblemSchema,
      },
      detail: {
        tags: ['orders'],
        summary: 'One order, for its owner or an admin (pending until Postgres has it)',
        security: bearerSecurity,
      },
    })
}
