import { NotFoundError, ProblemSchema } from '@flash-deal/kit'
import { Elysia, t } from 'elysia'
import { apiKeySecurity } from '../api-key'
import type { EventLog } from './events'
import { StripeEvent as Event } from './model'

/** The events the webhook sends, readable again: what a receiver that missed one catches up from. */
export function eventsController(events: EventLog) {
  return new Elysia({ name: 'events', prefix: '/v1/events' })
    .get('', ({ query }) => ({ object: 'list' as const, data: events.list(query.limit ?? 10) }), {
      query: t.Object(
        { limit: t.Optional(t.Integer({ minimum: 1, maximum: 100 })) },
        { additionalProperties: false },
      ),
      response: {
        200: t.Object({ object: t.Literal('list'), data: t.Array(Event) }),
        401: ProblemSchema,
        422: ProblemSchema,
      },
      detail: { tags: ['events'], summary: 'The newest events first', security: apiKeySecurity },
    })
    .get(
      '/:id',
      ({ params }) => {
        const event = events.get(params.id)
        if (!event) throw new NotFoundError(`No such event: '${params.id}'`)
        return event
      },
      {
        params: t.Object({ id: t.String({ pattern: '^evt_[A-Za-z0-9]+$' }) }),
        response: { 200: Event, 401: ProblemSchema, 404: ProblemSchema, 422: ProblemSchema },
        detail: { tags: ['events'], summary: 'Retrieve an event', security: apiKeySecurity },
      },
    )
}
