/**
 * Tracing in the kit: off without an endpoint, a server span per request that continues the
 * caller's trace, log lines that carry its ids, and a collector that is down or stuck never
 * failing or holding a request (its spans are counted as failed or dropped instead).
 */
import { describe, expect, test } from 'bun:test'
import { InMemorySpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace'
import { createServiceApp } from '../src/http'
import { createLogger } from '../src/logger'
import { createTelemetry, SpanKind, SpanStatusCode, type Telemetry } from '../src/telemetry'

const callerTrace = '0af7651916cd43dd8448eb211c80319c'
const callerSpan = 'b7ad6b7169203331'
const traceparent = `00-${callerTrace}-${callerSpan}-01`

function recorder() {
  const lines: Record<string, unknown>[] = []
  return {
    lines,
    logger: createLogger({ level: 'info', sink: (line) => lines.push(JSON.parse(line)) }),
  }
}

function appWith(telemetry: Telemetry, logger = recorder().logger) {
  return createServiceApp({ name: 'shop', version: '1.0.0', description: 't', logger, telemetry })
    .get('/things/:id', ({ params, traceContext }) => ({
      id: params.id,
      traceparent: telemetry.traceparentOf(traceContext) ?? null,
    }))
    .get('/boom', () => {
      throw new Error('boom')
    })
}

/** Elysia runs `onAfterResponse` (where the server span ends) after `handle` has answered. */
async function exported(telemetry: Telemetry, exporter: InMemorySpanExporter) {
  await Bun.sleep(5)
  await telemetry.flush()
  return exporter.getFinishedSpans()
}

const get = (path: string, headers: Record<string, string> = {}) =>
  new Request(`http://localhost${path}`, { headers })

describe('tracing off', () => {
  test('without an OTLP endpoint nothing is traced and requests answer as before', async () => {
    const { logger, lines } = recorder()
    const telemetry = createTelemetry({ serviceName: 'shop', logger, env: {} })
    expect(telemetry.enabled).toBe(false)
    const response = await appWith(telemetry, logger).handle(get('/things/7', { traceparent }))
    expect(response.status).toBe(200)
    // The caller's context still travels (the purchase hands it on to the outbox).
    expect(await response.json()).toEqual({ id: '7', traceparent })
    const access = lines.find((line) => line.msg === 'request')
    expect(access?.trace_id).toBeUndefined()
  })

  test('an empty endpoint is no endpoint (docker compose passes it empty by default)', () => {
    const telemetry = createTelemetry({
      serviceName: 'shop',
      logger: recorder().logger,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' },
    })
    expect(telemetry.enabled).toBe(false)
  })

  test('OTEL_SDK_DISABLED wins over an endpoint', () => {
    const telemetry = createTelemetry({
      serviceName: 'shop',
      logger: recorder().logger,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_SDK_DISABLED: 'true' },
    })
    expect(telemetry.enabled).toBe(false)
  })
})

describe('tracing on', () => {
  test('a server span per request continues the caller trace; the log line carries its ids', async () => {
    const exporter = new InMemorySpanExporter()
    const { logger, lines } = recorder()
    const telemetry = createTelemetry({
      serviceName: 'shop',
      logger,
      exporter,
      env: { OTEL_SERVICE_NAME: 'shop-eu' },
    })
    const response = await appWith(telemetry, logger).handle(get('/things/7', { traceparent }))
    expect(response.status).toBe(200)
    const [span] = await exported(telemetry, exporter)
    expect(span?.name).toBe('GET /things/:id')
    expect(span?.kind).toBe(SpanKind.SERVER)
    expect(span?.spanContext().traceId).toBe(callerTrace)
    expect(span?.parentSpanContext?.spanId).toBe(callerSpan)
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/things/:id',
      'url.path': '/things/7',
      'http.response.status_code': 200,
    })
    expect(span?.resource.attributes['service.name']).toBe('shop-eu')
    // The handler's context is the server span's: what it hands on continues this span.
    const body = (await response.json()) as { traceparent: string }
    expect(body.traceparent).toBe(`00-${callerTrace}-${span?.spanContext().spanId}-01`)
    const access = lines.find((line) => line.msg === 'request')
    expect(access?.trace_id).toBe(callerTrace)
    expect(access?.span_id).toBe(span?.spanContext().spanId)
  })

  test('a 500 marks the span failed; a request without traceparent starts a trace', async () => {
    const exporter = new InMemorySpanExporter()
    const telemetry = createTelemetry({ serviceName: 'shop', logger: recorder().logger, exporter })
    expect((await appWith(telemetry).handle(get('/boom'))).status).toBe(500)
    const [span] = await exported(telemetry, exporter)
    expect(span?.status.code).toBe(SpanStatusCode.ERROR)
    expect(span?.attributes['http.response.status_code']).toBe(500)
    expect(span?.parentSpanContext).toBeUndefined()
  })

  test('OTEL_TRACES_SAMPLER=always_off records nothing yet still hands a context on', async () => {
    const exporter = new InMemorySpanExporter()
    const telemetry = createTelemetry({
      serviceName: 'shop',
      logger: recorder().logger,
      exporter,
      env: { OTEL_TRACES_SAMPLER: 'always_off' },
    })
    const response = await appWith(telemetry).handle(get('/things/1'))
    expect(await exported(telemetry, exporter)).toHaveLength(0)
    expect(((await response.json()) as { traceparent: string }).traceparent).toMatch(/-00$/)
  })

  test('withSpan parents on the given context and records a thrown error', async () => {
    const exporter = new InMemorySpanExporter()
    const telemetry = createTelemetry({ serviceName: 'shop', logger: recorder().logger, exporter })
    const parent = telemetry.extract({ traceparent })
    await expect(
      telemetry.withSpan('EVALSHA reserve', { parent, kind: SpanKind.CLIENT }, async () => {
        throw new Error('redis down')
      }),
    ).rejects.toThrow('redis down')
    await telemetry.flush()
    const [span] = exporter.getFinishedSpans()
    expect(span?.spanContext().traceId).toBe(callerTrace)
    expect(span?.status.code).toBe(SpanStatusCode.ERROR)
    expect(span?.events.map((event) => event.name)).toEqual(['exception'])
  })
})

describe('a collector that is down or stuck', () => {
  test('down: requests answer at once, failed exports are counted, shutdown is bounded', async () => {
    const { logger, lines } = recorder()
    const telemetry = createTelemetry({
      serviceName: 'shop',
      logger,
      // Port 9 (discard) on loopback: nothing listens, the connection is refused.
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
        OTEL_EXPORTER_OTLP_TIMEOUT: '500',
        OTEL_BSP_SCHEDULE_DELAY: '10',
      },
    })
    const app = appWith(telemetry, logger)
    const startedAt = performance.now()
    for (let i = 0; i < 50; i++) expect((await app.handle(get(`/things/${i}`))).status).toBe(200)
    expect(performance.now() - startedAt).toBeLessThan(2000)
    const deadline = Date.now() + 5000
    while (telemetry.stats().failed === 0 && Date.now() < deadline) await Bun.sleep(20)
    expect(telemetry.stats().failed).toBeGreaterThan(0)
    expect(lines.some((line) => line.msg?.toString().startsWith('span export failing'))).toBe(true)
    const shutdownAt = performance.now()
    await telemetry.shutdown()
    expect(performance.now() - shutdownAt).toBeLessThan(3500)
  })

  test('stuck: the queue is bounded and what does not fit is dropped and counted', async () => {
    // An exporter that never answers: the processor holds one batch and queues the rest.
    const stuck: SpanExporter = { export: () => {}, shutdown: async () => {} }
    const telemetry = createTelemetry({
      serviceName: 'shop',
      logger: recorder().logger,
      exporter: stuck,
      env: { OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '5' },
    })
    const app = appWith(telemetry)
    for (let i = 0; i < 40; i++) expect((await app.handle(get(`/things/${i}`))).status).toBe(200)
    await Bun.sleep(5)
    expect(telemetry.stats().dropped).toBeGreaterThanOrEqual(25)
  })
})

test('while exports fail, requests are not recorded (one probe a second); recording resumes after', async () => {
  let failing = true
  let exported = 0
  const flaky: SpanExporter = {
    export(spans, done) {
      exported += spans.length
      done(failing ? { code: 1, error: new Error('collector down') } : { code: 0 })
    },
    shutdown: async () => {},
  }
  const telemetry = createTelemetry({
    serviceName: 'shop',
    logger: recorder().logger,
    exporter: flaky,
    env: { OTEL_BSP_SCHEDULE_DELAY: '5' },
  })
  const app = appWith(telemetry)
  const settle = async () => {
    await telemetry.flush()
    await Bun.sleep(20)
  }
  await app.handle(get('/things/first'))
  await settle()
  expect(telemetry.stats().failed).toBe(1)

  // The collector is down: 50 requests, still all answered, but at most one probe is recorded.
  const before = exported
  for (let i = 0; i < 50; i++) expect((await app.handle(get(`/things/${i}`))).status).toBe(200)
  await settle()
  expect(exported - before).toBeLessThanOrEqual(1)

  // Back up: the next probe (a second later) succeeds, and every request is recorded again.
  failing = false
  await Bun.sleep(1100)
  await app.handle(get('/things/probe'))
  await settle()
  const resumed = exported
  for (let i = 0; i < 10; i++) await app.handle(get(`/things/again-${i}`))
  await settle()
  expect(exported - resumed).toBe(10)
  await telemetry.shutdown()
})
