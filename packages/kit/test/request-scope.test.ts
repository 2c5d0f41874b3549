/**
 * The request scope: inside a request the active context is that request's server span, through
 * awaits and timers and with other requests interleaved, so spans started with no parent nest
 * under it; the scope ends with the request (nothing leaks into the caller of `handle`).
 */
import { expect, test } from 'bun:test'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import { createServiceApp } from '../src/http'
import { createLogger } from '../src/logger'
import { activeTrace } from '../src/request-scope'
import { createTelemetry, ROOT_CONTEXT, SpanKind, withRedisSpan } from '../src/telemetry'

const logger = createLogger({ level: 'warn', sink: () => {} })

function traced() {
  const exporter = new InMemorySpanExporter()
  const telemetry = createTelemetry({ serviceName: 'shop', logger, exporter })
  // What a service below a controller does: no trace context in hand, spans started anyway.
  const lookUp = (id: string) =>
    telemetry.withSpan(`look up ${id}`, {}, async () => {
      await Bun.sleep(Math.random() * 5)
      await withRedisSpan(telemetry, 'GET', () => Bun.sleep(1))
    })
  const app = createServiceApp({ name: 'shop', version: '1', description: 't', logger, telemetry })
    .get('/things/:id', async ({ params }) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5))
      await lookUp(params.id)
      return { id: params.id }
    })
    .get('/broken', async () => {
      await Bun.sleep(1)
      await lookUp('broken')
      throw new Error('broken after its lookup')
    })
  return { app, telemetry, exporter }
}

const traceparentFor = (n: number) =>
  `00-${n.toString(16).padStart(32, 'a')}-${n.toString(16).padStart(16, 'b')}-01`

test('concurrent requests: each service span parents on its own request, the Redis span on it', async () => {
  const { app, telemetry, exporter } = traced()
  const ids = Array.from({ length: 20 }, (_, n) => n + 1)
  const answers = await Promise.all(
    ids.map((n) =>
      app.handle(
        new Request(`http://localhost/things/${n}`, {
          headers: { traceparent: traceparentFor(n) },
        }),
      ),
    ),
  )
  expect(answers.map((answer) => answer.status)).toEqual(ids.map(() => 200))
  await Bun.sleep(5)
  await telemetry.flush()
  const spans = exporter.getFinishedSpans()
  for (const n of ids) {
    const traceId = traceparentFor(n).slice(3, 35)
    const server = spans.find(
      (span) => span.kind === SpanKind.SERVER && span.spanContext().traceId === traceId,
    )
    const lookUp = spans.find((span) => span.name === `look up ${n}`)
    const redis = spans.find(
      (span) =>
        span.name === 'GET' && span.parentSpanContext?.spanId === lookUp?.spanContext().spanId,
    )
    expect(server?.name).toBe('GET /things/:id')
    expect(lookUp?.spanContext().traceId).toBe(traceId)
    expect(lookUp?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
    expect(redis?.kind).toBe(SpanKind.CLIENT)
    expect(redis?.spanContext().traceId).toBe(traceId)
  }
})

test('a failed request keeps its spans nested; the scope ends with the request', async () => {
  const { app, telemetry, exporter } = traced()
  const answer = await app.handle(new Request('http://localhost/broken'))
  expect(answer.status).toBe(500)
  // The caller of `handle` is not in the request's scope, and its own spans start new traces.
  expect(activeTrace()).toBe(ROOT_CONTEXT)
  await telemetry.withSpan('after the request', {}, async () => {})
  await Bun.sleep(5)
  await telemetry.flush()
  const spans = exporter.getFinishedSpans()
  const server = spans.find((span) => span.kind === SpanKind.SERVER)
  const lookUp = spans.find((span) => span.name === 'look up broken')
  const after = spans.find((span) => span.name === 'after the request')
  expect(server?.attributes['http.response.status_code']).toBe(500)
  expect(lookUp?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
  expect(after?.parentSpanContext).toBeUndefined()
  expect(after?.spanContext().traceId).not.toBe(server?.spanContext().traceId)
})
