/** Postgres statement spans of the product service, on real Postgres, with the rdb strategy. */
import { afterAll, expect, test } from 'bun:test'
import { connect, tracedQueries } from '@flash-deal/db'
import { SpanKind } from '@flash-deal/kit'
import { createRedis } from '@flash-deal/kit/redis'
import {
  call,
  type Handler,
  recordingLogger,
  recordingTelemetry,
  testEnv,
  testTokens,
  uniqueSuffix,
} from '@flash-deal/testing'
import { CachedProductRepository } from '../src/repository/cached'
import { RdbProductRepository } from '../src/repository/rdb'
import { createApp } from './support'

const logger = recordingLogger()
const sql = connect(testEnv.databaseUrl, { max: 2 })
const redis = createRedis(testEnv.redisUrl, logger)
const { verifier, tokenFor } = await testTokens()

afterAll(async () => {
  await sql.end()
  redis.disconnect()
})

/** An admin creates a product through the app; its id. */
async function createdProduct(app: Handler) {
  const created = await call(app, 'POST', '/v1/products', {
    token: await tokenFor('admin'),
    body: { name: `Traced ${uniqueSuffix()}`, price: 100, currency: 'USD' },
  })
  expect(created.status).toBe(201)
  return ((await created.json()) as { id: string }).id
}

test('GET /v1/products/:id: the GetProduct statement is a span under the request span', async () => {
  const { telemetry, spans } = recordingTelemetry('product')
  const products = new RdbProductRepository({
    sql,
    queriesFor: tracedQueries(telemetry, { databaseName: 'flashdeal' }),
  })
  const app = createApp({ sql, redis, logger, verifier, products, telemetry })
  const id = await createdProduct(app)

  const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736'
  const response = await call(app, 'GET', `/v1/products/${id}`, {
    headers: { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` },
  })
  expect(response.status).toBe(200)

  const finished = await spans()
  const server = finished.find((span) => span.name === 'GET /v1/products/:id')
  const statement = finished.find((span) => span.name === 'GetProduct')
  expect(server?.spanContext().traceId).toBe(callerTrace)
  expect(statement?.kind).toBe(SpanKind.CLIENT)
  expect(statement?.spanContext().traceId).toBe(callerTrace)
  expect(statement?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
  expect(statement?.attributes).toMatchObject({
    'db.system': 'postgresql',
    'db.system.name': 'postgresql',
    'db.namespace': 'flashdeal',
    'db.operation.name': 'SELECT',
    'db.query.summary': 'GetProduct',
  })
  expect(String(statement?.attributes['db.query.text'])).toContain('$1')
  // The create was traced too, under its own request.
  const insert = finished.find((span) => span.name === 'CreateProduct')
  const post = finished.find((span) => span.name === 'POST /v1/products')
  expect(insert?.parentSpanContext?.spanId).toBe(post?.spanContext().spanId)
})

test('GET /v1/deals: the ListOpenDeals statement is a span under the request span', async () => {
  const { telemetry, spans } = recordingTelemetry('product')
  const products = new RdbProductRepository({ sql })
  const app = createApp({ sql, redis, logger, verifier, products, telemetry })
  expect((await app.handle(new Request('http://localhost/v1/deals'))).status).toBe(200)

  const finished = await spans()
  const server = finished.find((span) => span.name === 'GET /v1/deals')
  const statement = finished.find((span) => span.name === 'ListOpenDeals')
  expect(statement?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
  expect(statement?.attributes['db.namespace']).toBe(sql.options.database)
})

test('cached(rdb): a miss is a Redis GET, then GetProduct, then a Redis SET, all under the request', async () => {
  const { telemetry, spans } = recordingTelemetry('product')
  const rdb = new RdbProductRepository({
    sql,
    queriesFor: tracedQueries(telemetry, { databaseName: 'flashdeal' }),
  })
  const products = new CachedProductRepository({
    inner: rdb,
    redis,
    logger,
    options: { nearTtlMs: 0 },
    telemetry,
  })
  const app = createApp({ sql, redis, logger, verifier, products, telemetry })
  const id = await createdProduct(app)
  expect((await app.handle(new Request(`http://localhost/v1/products/${id}`))).status).toBe(200)

  const finished = await spans()
  const server = finished.find((span) => span.name === 'GET /v1/products/:id')
  const under = finished.filter(
    (span) => span.parentSpanContext?.spanId === server?.spanContext().spanId,
  )
  expect(under.map((span) => span.name)).toEqual(['GET', 'GetProduct', 'SET'])
  expect(under[0]?.attributes).toMatchObject({
    'db.system.name': 'redis',
    'db.operation.name': 'GET',
  })
})
