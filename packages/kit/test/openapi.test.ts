import { describe, expect, test } from 'bun:test'
import { t } from 'elysia'
import { createServiceApp } from '../src/http'
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
