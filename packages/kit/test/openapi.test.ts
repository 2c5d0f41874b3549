import { describe, expect, test } from 'bun:test'
import { t } from 'elysia'
import { createServiceApp, ProblemSchema } from '../src/http'
import { internalTokenVerifier } from '../src/internal-auth'
import { createLogger } from '../src/logger'

const idempotencyKey = {
  in: 'header',
  name: 'Idempotency-Key',
  required: true,
  description: 'Names this purchase',
  schema: { type: 'string' },
} as const

function buildApp() {
  return createServiceApp({
    name: 'test',
    version: '1.0.0',
    description: 'kit test',
    logger: createLogger({ level: 'error', sink: () => {} }),
  })
    .post('/deals/:id/purchase', ({ params }) => ({ dealId: params.id }), {
      params: t.Object({ id: t.String({ format: 'uuid' }) }),
      detail: { parameters: [idempotencyKey] },
    })
    .get('/search', () => [], {
      query: t.Object({ q: t.String() }),
      headers: t.Object({ 'x-tenant': t.String() }),
      detail: {
        parameters: [
          // Refines the parameter derived from the headers schema (names are case-insensitive).
          { in: 'header', name: 'X-Tenant', required: true, description: 'Whose catalogue' },
          // Same name, another place: a parameter of its own.
          { in: 'cookie', name: 'q', schema: { type: 'string' as const } },
        ],
      },
    })
    .get('/ping', () => 'pong', { detail: { parameters: [idempotencyKey] } })
    .post('/notes', ({ body }) => body, {
      body: t.Object({ text: t.String() }, { additionalProperties: false }),
    })
}

async function operation(path: string, method: string) {
  const response = await buildApp().handle(new Request('http://localhost/swagger/json'))
  expect(response.status).toBe(200)
  const document = await response.json()
  return document.paths[path][method]
}

const placeOf = (parameters: { in: string; name: string }[]) =>
  parameters.map((parameter) => `${parameter.in}:${parameter.name}`)

describe('OpenAPI document', () => {
  test('documents a JSON request body with its schema (the kit reads every body itself)', async () => {
    const notes = await operation('/notes', 'post')
    expect(Object.keys(notes.requestBody.content)).toEqual(['application/json'])
    expect(notes.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['text'],
    })
  })

  test('keeps a declared header parameter beside the path parameter', async () => {
    const purchase = await operation('/deals/{id}/purchase', 'post')
    expect(placeOf(purchase.parameters)).toEqual(['path:id', 'header:Idempotency-Key'])
    expect(purchase.parameters[0].schema).toMatchObject({ type: 'string', format: 'uuid' })
    expect(purchase.parameters[1]).toEqual(idempotencyKey)
  })

  test('a declared parameter refines the derived one with the same place and name', async () => {
    const search = await operation('/search', 'get')
    expect(placeOf(search.parameters)).toEqual(['query:q', 'header:X-Tenant', 'cookie:q'])
    expect(search.parameters[1]).toMatchObject({
      required: true,
      description: 'Whose catalogue',
      schema: { type: 'string' },
    })
  })

  test('a route without derived parameters keeps its declared ones once', async () => {
    const app = buildApp()
    // The plugin caches its document; asking twice must not add the parameter twice.
    await app.handle(new Request('http://localhost/swagger/json'))
    const document = await (await app.handle(new Request('http://localhost/swagger/json'))).json()
    expect(placeOf(document.paths['/ping'].get.parameters)).toEqual(['header:Idempotency-Key'])
  })
})

describe('OpenAPI document of the trust refusals', () => {
  const problems = {
    401: ProblemSchema,
    422: ProblemSchema,
    429: ProblemSchema,
    503: ProblemSchema,
  }
  const trusted = () =>
    createServiceApp({
      name: 'test',
      version: '1.0.0',
      description: 'kit test',
      logger: createLogger({ level: 'error', sink: () => {} }),
      internalAuth: internalTokenVerifier('kit-test-internal-secret-0123456789abcdef', 'auth'),
    })
      .post('/v1/login', () => ({ ok: true }), {
        response: { 200: t.Object({ ok: t.Boolean() }), ...problems },
      })
      .get('/v1/list', () => [])

  test('every error (401, 422, 429, 503) is documented as problem+json, as it is sent', async () => {
    const document = await (
      await trusted().handle(new Request('http://localhost/swagger/json'))
    ).json()
    const responses = document.paths['/v1/login'].post.responses
    for (const status of ['401', '422', '429', '503']) {
      expect(Object.keys(responses[status].content)).toEqual(['application/problem+json'])
      expect(responses[status].content['application/problem+json'].schema.required).toEqual([
        'type',
        'title',
        'status',
      ])
    }
    // The route's own 401 names the gateway's token as a reason too.
    expect(responses['401'].description).toContain('urn:flash-deal:problem:internal-auth-required')
    // A success keeps its media type.
    expect(Object.keys(responses['200'].content)).toEqual(['application/json'])
  })

  test('a public /v1 route documents the refusal of a call that skipped the gateway', async () => {
    const document = await (
      await trusted().handle(new Request('http://localhost/swagger/json'))
    ).json()
    const operation = document.paths['/v1/list'].get
    expect(operation.security).toEqual([{ internalToken: [] }])
    expect(operation.responses['401'].description).toStartWith('Refused:')
    expect(Object.keys(operation.responses['401'].content)).toEqual(['application/problem+json'])
  })
})
