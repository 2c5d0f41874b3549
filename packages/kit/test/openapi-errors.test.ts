/**
 * The document states every answer the kit gives (issue 13, the contracts): what schemathesis
 * found undocumented — 400/413/415/422 of a body, 404/422 of a path id, 503 of a store, the
 * health answers, `anyOf [string, integer]` for integers — and a routed path's other methods.
 */
import { describe, expect, test } from 'bun:test'
import { t } from 'elysia'
import { createServiceApp } from '../src/http'
import { createLogger } from '../src/logger'

const app = () =>
  createServiceApp({
    name: 'test',
    version: '1.0.0',
    description: 'kit test',
    logger: createLogger({ level: 'error', sink: () => {} }),
  })
    .post('/v1/things', ({ body }) => body, {
      body: t.Object({ name: t.String(), count: t.Integer() }, { additionalProperties: false }),
      response: { 200: t.Object({ name: t.String(), count: t.Integer() }) },
    })
    .get('/v1/things/:id', ({ params }) => ({ id: params.id }), {
      params: t.Object({ id: t.String({ format: 'uuid' }) }),
    })

const documentOf = async () =>
  (await app().handle(new Request('http://localhost/swagger/json'))).json()

describe('the kit documents its own answers', () => {
  test('a body route: 400, 413, 415, 422 and 503, all problem+json', async () => {
    const { responses } = (await documentOf()).paths['/v1/things'].post
    for (const status of ['400', '413', '415', '422', '503'])
      expect(Object.keys(responses[status].content)).toEqual(['application/problem+json'])
  })

  test('a path id: 404 and 422; no body errors where there is no body', async () => {
    const { responses } = (await documentOf()).paths['/v1/things/{id}'].get
    expect(Object.keys(responses).sort()).toEqual(['404', '422', '503'])
  })

  test('integers are integers, and body strings say they hold no U+0000', async () => {
    const post = (await documentOf()).paths['/v1/things'].post
    const body = post.requestBody.content['application/json'].schema
    expect(body.properties.count).toEqual({ type: 'integer' })
    expect(body.properties.name.pattern).toBe('^[^\\u0000]*$')
    expect(post.responses['200'].content['application/json'].schema.properties.count.type).toBe(
      'integer',
    )
  })

  test('health answers are documented, readiness 503 included', async () => {
    const { paths } = await documentOf()
    expect(Object.keys(paths['/health/live'].get.responses)).toEqual(['200'])
    expect(Object.keys(paths['/health/ready'].get.responses)).toEqual(['200', '503'])
  })
})

describe('a routed path with another method', () => {
  test('is 405 with Allow (problem+json), not 404', async () => {
    const answer = await app().handle(new Request('http://localhost/v1/things', { method: 'PUT' }))
    expect(answer.status).toBe(405)
    expect(answer.headers.get('allow')).toBe('POST')
    expect(answer.headers.get('content-type')).toBe('application/problem+json')
  })

  test('an unknown path stays 404', async () => {
    const answer = await app().handle(new Request('http://localhost/v1/nothing'))
    expect(answer.status).toBe(404)
  })
})
