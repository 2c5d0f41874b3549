/**
 * The gateway's /swagger/json is the whole public API as reached through it: its own routes and
 * the proxied routes of auth, product and order, taken from the documents those services serve
 * (here: real HTTP servers on loopback serving the committed api/*.yaml, which `make test`
 * checks are what the services serve).
 */
import { afterAll, expect, test } from 'bun:test'
import { deadUrls, internalTokens, recordingLogger, testEnv, testTokens } from '@flash-deal/testing'
import { parse } from 'yaml'
import { createApp } from '../src/app'
import { purchasePath } from '../src/purchase'
import { IoredisPort } from '../src/redis/ioredis'

const api = new URL('../../../api/', import.meta.url)
const documentOf = async (service: string) =>
  parse(await Bun.file(new URL(`${service}-service.v1.yaml`, api)).text()) as {
    paths: Record<string, unknown>
  }
const serving = async (service: string) => {
  const document = await documentOf(service)
  return Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (request) =>
      new URL(request.url).pathname === '/swagger/json'
        ? Response.json(document)
        : new Response('not here', { status: 404 }),
  })
}
const servers = {
  auth: await serving('auth'),
  product: await serving('product'),
  order: await serving('order'),
}
const redisPort = new IoredisPort({ url: testEnv.redisUrl, logger: recordingLogger() })
const { verifier } = await testTokens()

afterAll(async () => {
  for (const server of Object.values(servers)) server.stop(true)
  await redisPort.close()
})

async function gateway(urls: Record<'auth' | 'product' | 'order', string>) {
  const logger = recordingLogger()
  const upstream = (name: 'auth' | 'product' | 'order') => ({
    name,
    baseUrl: urls[name],
    timeoutMs: 5000,
  })
  const app = createApp({
    logger,
    internalTokens,
    maxBodyBytes: 4096,
    redisReady: () => redisPort.ping(),
    verifier,
    upstreams: { auth: upstream('auth'), product: upstream('product'), order: upstream('order') },
    purchase: purchasePath({
      redis: redisPort,
      logger,
      mode: 'async',
      limits: { user: { perSecond: 0, burst: 1 }, address: { perSecond: 0, burst: 1 } },
    }),
  })
  const response = await app.handle(new Request('http://gateway/swagger/json'))
  expect(response.status).toBe(200)
  return (await response.json()) as {
    info: { description: string }
    paths: Record<string, Record<string, unknown>>
    components: { securitySchemes: Record<string, unknown> }
  }
}

const local = (server: { port?: number }) => `http://127.0.0.1:${server.port}`

test('one document: the gateway routes and every proxied public route, nothing internal', async () => {
  const document = await gateway({
    auth: local(servers.auth),
    product: local(servers.product),
    order: local(servers.order),
  })
  expect(Object.keys(document.paths).sort()).toEqual(
    [
      '/health/live',
      '/health/ready',
      '/v1/auth/login',
      '/v1/auth/logout',
      '/v1/auth/me',
      '/v1/auth/refresh',
      '/v1/auth/signup',
      '/v1/deals',
      '/v1/deals/{id}',
      '/v1/deals/{id}/purchase',
      '/v1/orders',
      '/v1/orders/{id}',
      '/v1/orders/{id}/cancel',
      '/v1/orders/{id}/payment',
      '/v1/products',
      '/v1/products/{id}',
    ].sort(),
  )
  // The upstreams' operations come as they document them...
  const product = await documentOf('product')
  const summaries = (operations: unknown) =>
    Object.fromEntries(
      Object.entries(operations as Record<string, { summary?: string }>).map(([m, o]) => [
        m,
        o.summary,
      ]),
    )
  expect(summaries(document.paths['/v1/deals'])).toEqual(summaries(product.paths['/v1/deals']))
  // ...less the internal token the gateway presents for the client, which no client sends.
  expect(JSON.stringify(product.paths['/v1/deals'])).toContain('internalToken')
  expect(JSON.stringify(document)).not.toContain('internalToken')
  // ...but the purchase is the gateway's own (the order service's sync twin is internal).
  // (Its request schema's details depend on the process's TypeBox settings: compare its identity.)
  expect(document.paths['/v1/deals/{id}/purchase']?.post).toMatchObject({
    tags: ['purchase'],
    summary: 'Buy units of a live deal',
  })
  // The order service documents its purchase route only in sync mode (the committed document is
  // async's); where it has one, it must not replace the gateway's.
  const order = await documentOf('order')
  const twin = (order.paths['/v1/deals/{id}/purchase'] as { post?: { summary: string } })?.post
  if (twin)
    expect(document.paths['/v1/deals/{id}/purchase']?.post).not.toMatchObject({
      summary: twin.summary,
    })
  expect(Object.keys(document.components.securitySchemes)).toEqual(['bearer'])
  expect(document.info.description).not.toContain('Not shown')
})

test('an upstream whose document does not answer: its routes are missing and the page says so', async () => {
  const document = await gateway({
    auth: deadUrls.http,
    product: local(servers.product),
    order: local(servers.order),
  })
  expect(Object.keys(document.paths).filter((path) => path.startsWith('/v1/auth'))).toEqual([])
  expect(document.paths['/v1/orders/{id}']).toBeDefined()
  expect(document.info.description).toContain('Not shown: the routes of auth')
})
