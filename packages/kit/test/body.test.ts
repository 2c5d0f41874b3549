/**
 * The body every service reads goes through the kit's reader: bounded in size and depth before
 * anything parses or validates it, refused unless declared as JSON, NUL-free, and every refusal
 * is problem+json — in process and on a listening server (where Bun's own limits sit).
 */
import { describe, expect, test } from 'bun:test'
import { t } from 'elysia'
import { readJsonBody, scanJson } from '../src/body'
import { createServiceApp } from '../src/http'

const transportBodyLimit = (n: number) => n

import { createLogger } from '../src/logger'

const MAX_BYTES = 4096

const buildApp = () =>
  createServiceApp({
    name: 'body',
    version: '1',
    description: 'body limits',
    logger: createLogger({ level: 'error' }),
    maxBodyBytes: MAX_BYTES,
  })
    .post('/buy', ({ body }) => ({ quantity: body?.quantity ?? 1 }), {
      body: t.Optional(t.Object({ quantity: t.Optional(t.Integer({ minimum: 1 })) })),
    })
    .post('/things', ({ body }) => ({ name: body.name }), {
      body: t.Object({ name: t.String(), tags: t.Optional(t.Array(t.String())) }),
    })
    .post('/reserve', ({ body }) => ({ quantity: body.quantity }), {
      body: t.Object({ quantity: t.Optional(t.Integer({ minimum: 1, default: 1 })) }),
    })
    .post('/logout', () => ({ ok: true }))
    .all('/proxy/*', async ({ request }) => ({ forwarded: await request.text() }), {
      parse: 'none',
    })
const app = buildApp()

const post = (path: string, body?: BodyInit, headers: Record<string, string> = {}) =>
  app.handle(new Request(`http://localhost${path}`, { method: 'POST', headers, body }))
const json = { 'content-type': 'application/json' }
const nested = (depth: number) => `{"quantity":${'['.repeat(depth)}${']'.repeat(depth)}}`

async function expectProblem(response: Response, status: number, type: string) {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  const problem = (await response.json()) as { type: string; status: number }
  expect(problem.type).toBe(`urn:flash-deal:problem:${type}`)
  expect(problem.status).toBe(status)
  return problem
}

describe('nesting is bounded before parsing and validation', () => {
  test('depth 20,000 (the 40 KB attack body) is refused with 422 in milliseconds', async () => {
    const big = createServiceApp({
      name: 'body',
      version: '1',
      description: 'body limits',
      logger: createLogger({ level: 'error' }),
      maxBodyBytes: 64 * 1024,
    }).post('/buy', ({ body }) => body, {
      body: t.Object({ quantity: t.Optional(t.Integer({ minimum: 1 })) }),
    })
    const started = performance.now()
    const response = await big.handle(
      new Request('http://localhost/buy', { method: 'POST', headers: json, body: nested(20_000) }),
    )
    const elapsed = performance.now() - started
    const problem = await expectProblem(response, 422, 'validation')
    expect(problem).toMatchObject({ detail: 'body: nests deeper than 32 levels' })
    // Before the kit bounded it, this request took ~6.8 s on this box (quadratic in the depth)
    // and depth 25,000 ran Elysia out of memory (500).
    expect(elapsed).toBeLessThan(100)
  })

  test('32 levels are accepted by the reader (the schema then judges), 33 are not', async () => {
    await expectProblem(await post('/buy', nested(31), json), 422, 'validation')
    expect(scanJson(nested(31), 32).tooDeep).toBe(false)
    expect(scanJson(nested(32), 32).tooDeep).toBe(true)
  })

  test('brackets inside strings do not count', async () => {
    const body = JSON.stringify({ name: '['.repeat(1000), tags: ['{'.repeat(1000)] })
    const response = await post('/things', body, json)
    expect(response.status).toBe(200)
  })
})

describe('size', () => {
  test('a Content-Length above the cap: 413 problem+json', async () => {
    const response = await post('/buy', 'x'.repeat(MAX_BYTES + 1), json)
    await expectProblem(response, 413, 'payload-too-large')
  })

  test('a streamed body (no Content-Length) is counted while read: 413 problem+json', async () => {
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`{"quantity":${' '.repeat(MAX_BYTES)}1}`))
        controller.close()
      },
    })
    const response = await app.handle(
      new Request('http://localhost/buy', {
        method: 'POST',
        headers: json,
        body: stream,
        duplex: 'half',
      } as RequestInit),
    )
    await expectProblem(response, 413, 'payload-too-large')
  })
})

describe('media type', () => {
  test('a body without Content-Type is refused (415), never read as the default', async () => {
    const response = await post('/buy', '{"quantity":2}')
    await expectProblem(response, 415, 'unsupported-media-type')
    expect(response.headers.get('accept')).toBe('application/json')
  })

  test('text/plain is 415; application/json with a charset and +json types are read', async () => {
    await expectProblem(
      await post('/buy', '{"quantity":2}', { 'content-type': 'text/plain' }),
      415,
      'unsupported-media-type',
    )
    for (const type of ['application/json; charset=utf-8', 'application/merge-patch+json']) {
      const response = await post('/buy', '{"quantity":2}', { 'content-type': type })
      expect(await response.json()).toEqual({ quantity: 2 })
    }
  })

  test('no body at all is no body: an optional body is absent', async () => {
    const response = await post('/buy')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ quantity: 1 })
  })

  test('no body where the schema has defaults takes them; a required field is still 422', async () => {
    const reserve = await post('/reserve')
    expect(reserve.status).toBe(200)
    expect(await reserve.json()).toEqual({ quantity: 1 })
    await expectProblem(await post('/things'), 422, 'validation')
  })

  test('a route without a body schema ignores a body; a proxy route gets the raw stream', async () => {
    expect((await post('/logout', 'anything')).status).toBe(200)
    const raw = await post('/proxy/x', nested(100), { 'content-type': 'text/plain' })
    expect(await raw.json()).toEqual({ forwarded: nested(100) })
  })
})

describe('content', () => {
  test('malformed JSON is 400 problem+json', async () => {
    await expectProblem(await post('/buy', '{"quantity":', json), 400, 'bad-request')
  })

  test('bytes that are not UTF-8 are 400 problem+json', async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])
    await expectProblem(await post('/things', bytes, json), 400, 'bad-request')
  })

  test('U+0000 in any string is 422 naming the field; an escaped backslash is not a NUL', async () => {
    const problem = await expectProblem(
      await post('/things', '{"name":"ok","tags":["a","b\\u0000c"]}', json),
      422,
      'validation',
    )
    expect(problem).toMatchObject({ errors: [{ field: 'body.tags.1' }] })
    const literal = await post('/things', '{"name":"\\\\u0000"}', json)
    expect(await literal.json()).toEqual({ name: '\\u0000' })
  })
})

describe('on a listening server', () => {
  const listen = () =>
    Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      maxRequestBodySize: transportBodyLimit(MAX_BYTES),
      fetch: (request) => buildApp().handle(request),
    })

  test('health answers while a deep body is refused (the event loop is not held)', async () => {
    const server = listen()
    const url = `http://127.0.0.1:${server.port}`
    const [refused, health] = await Promise.all([
      fetch(`${url}/buy`, { method: 'POST', headers: json, body: nested(1500) }),
      fetch(`${url}/health/live`),
    ])
    expect(refused.status).toBe(422)
    expect(health.status).toBe(200)
    server.stop(true)
  })
})

describe('unicode', () => {
  test('a lone surrogate in a string is 422 naming the field; a real pair is read', async () => {
    const limits = { maxBytes: 1024, maxDepth: 32 }
    const read = (text: string) =>
      readJsonBody(
        new Request('http://x/', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: text,
        }),
        limits,
      )
    const refused = (await read('{"name":"a\\ud800b"}').catch((error) => error)) as {
      status: number
      detail: string
    }
    expect(refused.status).toBe(422)
    expect(refused.detail).toContain('body.name')
    expect(await read('{"name":"\\ud83d\\ude00"}')).toEqual({ name: '😀' })
  })
})
