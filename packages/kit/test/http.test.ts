import { describe, expect, test } from 'bun:test'
import { t } from 'elysia'
import { ConflictError } from '../src/errors'
import { createServiceApp } from '../src/http'
import { createLogger } from '../src/logger'

function recorder() {
  const lines: Record<string, unknown>[] = []
  return {
    lines,
    logger: createLogger({ level: 'debug', sink: (line) => lines.push(JSON.parse(line)) }),
  }
}

function buildApp(readiness = {}) {
  const { lines, logger } = recorder()
  const app = createServiceApp({
    name: 'test',
    version: '1.0.0',
    description: 'kit test',
    logger,
    readiness,
    maxBodyBytes: 2048,
  })
    .post('/things', ({ body }) => ({ created: body.name }), {
      body: t.Object(
        { name: t.String({ minLength: 1 }), count: t.Integer({ minimum: 1 }) },
        { additionalProperties: false },
      ),
    })
    .get('/taken', () => {
      throw new ConflictError('sold-out', 'Sold out', 'No stock left for this deal')
    })
    .get('/boom', () => {
      throw new Error('database password is hunter2')
    })
    .get('/db-down', () => {
      // What postgres.js throws when Postgres refuses the connection.
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
        code: 'ECONNREFUSED',
      })
    })
  return { app, lines }
}

const json = (path: string, body: string, headers: Record<string, string> = {}) =>
  new Request(`http://localhost${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  })

describe('service app', () => {
  test('liveness answers 200', async () => {
    const { app } = buildApp()
    const response = await app.handle(new Request('http://localhost/health/live'))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok' })
  })

  test('readiness answers 503 naming the dependency that is down', async () => {
    const { app } = buildApp({
      postgres: async () => 'ok',
      redis: async () => {
        throw new Error('connect ECONNREFUSED')
      },
    })
    const response = await app.handle(new Request('http://localhost/health/ready'))
    expect(response.status).toBe(503)
    const body = await response.json()
    expect(body.down).toEqual(['redis'])
    expect(body.checks.postgres).toBe('ok')
    expect(body.checks.redis).toContain('ECONNREFUSED')
  })

  test('readiness treats a hanging dependency as down after its timeout', async () => {
    const { lines, logger } = recorder()
    void lines
    const app = createServiceApp({
      name: 'test',
      version: '1',
      description: 'x',
      logger,
      readinessTimeoutMs: 50,
      readiness: { kafka: () => new Promise(() => {}) },
    })
    const response = await app.handle(new Request('http://localhost/health/ready'))
    expect(response.status).toBe(503)
    expect((await response.json()).checks.kafka).toContain('did not answer in 50 ms')
  })

  test('echoes a valid incoming request id and makes one otherwise', async () => {
    const { app } = buildApp()
    const echoed = await app.handle(
      new Request('http://localhost/health/live', { headers: { 'x-request-id': 'abc-123' } }),
    )
    expect(echoed.headers.get('x-request-id')).toBe('abc-123')
    const made = await app.handle(
      new Request('http://localhost/health/live', {
        headers: { 'x-request-id': 'bad id with spaces' },
      }),
    )
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  test('a schema violation is a 422 problem naming the field', async () => {
    const { app } = buildApp()
    const response = await app.handle(json('/things', JSON.stringify({ name: 'x', count: 0 })))
    expect(response.status).toBe(422)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    const problem = await response.json()
    expect(problem.type).toBe('urn:flash-deal:problem:validation')
    expect(problem.errors.map((e: { field: string }) => e.field)).toContain('body.count')
    expect(problem.requestId).toBe(response.headers.get('x-request-id'))
  })

  test('an unknown field is rejected, not silently dropped', async () => {
    const { app } = buildApp()
    const response = await app.handle(
      json('/things', JSON.stringify({ name: 'x', count: 1, admin: true })),
    )
    expect(response.status).toBe(422)
  })

  test('malformed JSON is a 400 problem', async () => {
    const { app } = buildApp()
    const response = await app.handle(json('/things', '{"name":'))
    expect(response.status).toBe(400)
    expect((await response.json()).type).toBe('urn:flash-deal:problem:bad-request')
  })

  test('a body over the cap is a 413 problem', async () => {
    const { app } = buildApp()
    const big = JSON.stringify({ name: 'x'.repeat(4096), count: 1 })
    const response = await app.handle(
      json('/things', big, { 'content-length': String(big.length) }),
    )
    expect(response.status).toBe(413)
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect((await response.json()).limitBytes).toBe(2048)
  })

  test('a domain error maps to its own status and type', async () => {
    const { app } = buildApp()
    const response = await app.handle(new Request('http://localhost/taken'))
    expect(response.status).toBe(409)
    expect(await response.json()).toMatchObject({
      type: 'urn:flash-deal:problem:sold-out',
      title: 'Sold out',
      detail: 'No stock left for this deal',
      instance: '/taken',
    })
  })

  test('an unexpected error is an opaque 500 and is logged with the request id', async () => {
    const { app, lines } = buildApp()
    const response = await app.handle(new Request('http://localhost/boom'))
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(text).not.toContain('hunter2')
    const requestId = response.headers.get('x-request-id')
    const logged = lines.find((line) => line.msg === 'request failed')
    expect(logged?.requestId).toBe(requestId)
  })

  test('a dependency that is unreachable is a 503 with Retry-After, not a 500', async () => {
    const { app } = buildApp()
    const response = await app.handle(new Request('http://localhost/db-down'))
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('1')
    expect((await response.json()).type).toBe('urn:flash-deal:problem:unavailable')
  })

  test('an unknown route is a 404 problem and the access log records 404', async () => {
    const { app, lines } = buildApp()
    const response = await app.handle(new Request('http://localhost/nowhere'))
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    await Bun.sleep(5)
    const access = lines.find((line) => line.msg === 'request' && line.path === '/nowhere')
    expect(access?.status).toBe(404)
  })

  test('serves the OpenAPI document and Swagger UI', async () => {
    const { app } = buildApp()
    const spec = await app.handle(new Request('http://localhost/swagger/json'))
    expect(spec.status).toBe(200)
    const document = await spec.json()
    expect(document.info.title).toBe('flash-deal test')
    expect(Object.keys(document.paths)).toContain('/things')
    const ui = await app.handle(new Request('http://localhost/swagger'))
    expect(ui.headers.get('content-type')).toContain('text/html')
    const html = await ui.text()
    expect(html).not.toContain('unpkg.com')
    for (const asset of [
      '/swagger/assets/swagger-ui.css',
      '/swagger/assets/swagger-ui-bundle.js',
    ]) {
      expect(html).toContain(asset)
      const served = await app.handle(new Request(`http://localhost${asset}`))
      expect(served.status).toBe(200)
      expect((await served.text()).length).toBeGreaterThan(10_000)
    }
    const other = await app.handle(new Request('http://localhost/swagger/assets/package.json'))
    expect(other.status).toBe(404)
  })
})
