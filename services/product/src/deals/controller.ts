import { bearerAuth, bearerSecurity, ProblemSchema } from '@flash-deal/kit'
import type { TokenVerifier } from '@flash-deal/kit/jwt'
import { Elysia } from 'elysia'
import { DealId, DealList, DealListQuery, DealPatchBody, DealView, NewDealBody } from './model'
import type { DealService } from './service'

export function dealsController(deals: DealService, verifier: TokenVerifier) {
  return new Elysia({ name: 'deals', prefix: '/v1/deals' })
    .use(bearerAuth(verifier))
    .get(
      '',
      async ({ query }) => ({
        items: await deals.list(query.status ?? 'open'),
      }),
      {
        query: DealListQuery,
        response: { 200: DealList, 422: ProblemSchema },
        detail: {
          tags: ['deals'],
          summary: 'Deals that have not ended (status=live|upcoming|open)',
        },
      },
    )
    .get('/:id', ({ params }) => deals.get(params.id), {
      params: DealId,
      response: { 200: DealView, 404: ProblemSchema, 422: ProblemSchema },
      detail: { tags: ['deals'], summary: 'One deal with its status and remaining stock' },
    })
    .post('', async ({ body, status }) => status(201, await deals.create(body)), {
      auth: 'admin',
      body: NewDealBody,
      response: {
        201: DealView,
        401: ProblemSchema,
        403: ProblemSchema,
        422: ProblemSchema,
        503: ProblemSchema,
      },
      detail: {
        tags: ['deals'],
        summary: 'Create a deal and publish its stock to Redis (admin)',
        security: bearerSecurity,
      },
    })
    .patch('/:id', ({ params, body }) => deals.update(params.id, body), {
      auth: 'admin',
      params: DealId,
      body: DealPatchBody,
      response: {
        200: DealView,
        401: ProblemSchema,
        403: ProblemSchema,
        404: ProblemSchema,
        409: ProblemSchema,
        422: ProblemSchema,
        503: ProblemSchema,
      },
      detail: {
        tags: ['deals'],
        summary: 'Change a deal that has not started (admin); a started deal is 409',
        security: bearerSecurity,
      },
    })
}
