/** Postgres statement spans of the order API and the sync purchase, on real Postgres. */
import { afterAll, expect, test } from 'bun:test'
import { recordingTelemetry } from '@flash-deal/testing'
import { publishDeal } from './deal-state-fixtures'
import { caller, orderTestBed } from './support'

const bed = await orderTestBed()
afterAll(() => bed.close())

const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736'
const traceparent = `00-${callerTrace}-00f067aa0ba902b7-01`

test('a sync purchase: every statement of its transaction is a span under the request span', async () => {
  const { telemetry, spans } = recordingTelemetry('order')
  const call = caller(bed.appWith({ telemetry }))
  const me = await bed.buyer()
  const live = await bed.deal()
  await publishDeal(bed.redis, live)
  const response = await call('POST', `/v1/deals/${live.id}/purchase`, {
    token: me.token,
    body: { quantity: 1 },
    headers: { 'idempotency-key': crypto.randomUUID(), traceparent },
  })
  expect(response.status).toBe(201)

  const finished = await spans()
  const server = finished.find((span) => span.name === 'POST /v1/deals/:id/purchase')
  expect(server?.spanContext().traceId).toBe(callerTrace)
  const statements = finished.filter(
    (span) => span.parentSpanContext?.spanId === server?.spanContext().spanId,
  )
  expect(statements.map((span) => span.name)).toEqual([
    'LockDealBuyer',
    'GetOrderByIdempotencyKey',
    'GetDealForPurchase',
    'SumUserDealQuantity',
    'TakeDealStock',
    'InsertConfirmedOrder',
  ])
  expect(statements.every((span) => span.attributes['db.system'] === 'postgresql')).toBe(true)
  expect(statements.at(-1)?.attributes['db.operation.name']).toBe('INSERT')
})

test("listing orders: ListUserOrders is a span under the request's span", async () => {
  const { telemetry, spans } = recordingTelemetry('order')
  const call = caller(bed.appWith({ telemetry }))
  const me = await bed.buyer()
  const response = await call('GET', `/v1/orders?limit=5`, {
    token: me.token,
    headers: { traceparent },
  })
  expect(response.status).toBe(200)

  const finished = await spans()
  const server = finished.find((span) => span.name === 'GET /v1/orders')
  const statement = finished.find((span) => span.name === 'ListUserOrders')
  expect(statement?.spanContext().traceId).toBe(callerTrace)
  expect(statement?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
})
