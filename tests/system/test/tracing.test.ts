/**
 * One purchase is one trace, end to end, through the real OpenTelemetry Collector that
 * `make otelcol` builds: the processes export OTLP/HTTP to it, its file exporter writes what it
 * received, and the test reads that file back. The trace must hold the gateway's HTTP span, the
 * Redis reservation, the relay's Kafka produce and the consumer's Postgres statements, each from
 * the right service, and the gateway's log line of that request must carry the trace id.
 *
 * Ports 19180-19189 by default (a stack of its own beside the other system tests' 19080+).
 */
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dealOutboxKey, ORDERS_ACCEPTED, OUTBOX_REGISTRY_KEY } from '@flash-deal/contracts'
import { createKafka } from '@flash-deal/kit/kafka'
import { recordingLogger, repoRoot, testEnv } from '@flash-deal/testing'
import type { Subprocess } from 'bun'
import { buyers, closeHarness, kv, liveDeal, purchase, settle, startStack } from '../src/harness'

// The first build of the collector takes minutes; `make otelcol` (before `bun test`) caches it.
setDefaultTimeout(600_000)

// A stack of its own, 100 ports above the other system tests' (SYSTEM_TEST_PORT_BASE, default 19080).
const portBase = Number(process.env.SYSTEM_TEST_PORT_BASE ?? 19080) + 100
const collectorHttp = portBase + 6
const collectorGrpc = portBase + 7
const scratch = mkdtempSync(join(tmpdir(), 'flash-deal-otel-'))
const traceFile = join(scratch, 'traces.json')
let collector: Subprocess | undefined

afterAll(async () => {
  collector?.kill('SIGTERM')
  await collector?.exited
  rmSync(scratch, { recursive: true, force: true })
  await closeHarness()
})

async function startCollector() {
  const install = Bun.spawn(['bash', 'infra/otel/install.sh'], {
    cwd: repoRoot,
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const binary = (await new Response(install.stdout).text()).trim()
  if ((await install.exited) !== 0) throw new Error('infra/otel/install.sh failed')
  const output: string[] = []
  collector = Bun.spawn([binary, '--config', 'infra/otel/collector.yaml'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      OTELCOL_HTTP_PORT: String(collectorHttp),
      OTELCOL_GRPC_PORT: String(collectorGrpc),
      OTELCOL_FILE: traceFile,
      OTELCOL_METRICS_FILE: join(scratch, 'metrics.json'),
    },
    stdout: 'ignore',
    stderr: 'pipe',
  })
  void (async () => {
    const reader = (collector.stderr as ReadableStream<Uint8Array>).getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      output.push(new TextDecoder().decode(value))
    }
  })()
  for (let i = 0; i < 100; i++) {
    if (output.join('').includes('Everything is ready')) return
    if (collector.exitCode !== null) break
    await Bun.sleep(100)
  }
  throw new Error(`collector not ready:\n${output.join('').slice(-3000)}`)
}

/**
 * Waits until nothing older is in flight: no outbox entry left in Redis and no record of
 * `orders.accepted` the consumer group has not committed. A batch of one record continues that
 * record's trace; a larger one only links to its records (see the consumer), so the purchase
 * under test must not share its batch with leftovers of earlier tests.
 */
async function drained(timeoutMs = 120_000) {
  const admin = createKafka({
    clientId: 'tracing-test',
    brokers: testEnv.kafkaBrokers,
    logger: recordingLogger(),
  }).admin()
  await admin.connect()
  try {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const deals = await kv().smembers(OUTBOX_REGISTRY_KEY)
      const outbox = await Promise.all(deals.map((deal) => kv().xlen(dealOutboxKey(deal))))
      const ends = await admin.fetchTopicOffsets(ORDERS_ACCEPTED)
      const [committed] = await admin.fetchOffsets({
        groupId: 'order-consumer',
        topics: [ORDERS_ACCEPTED],
      })
      const lag = ends.reduce((sum, { partition, offset }) => {
        const done = committed?.partitions.find((p) => p.partition === partition)?.offset
        return sum + Number(offset) - Math.max(0, Number(done ?? 0))
      }, 0)
      if (lag === 0 && outbox.every((length) => length === 0)) return
      await Bun.sleep(250)
    }
    throw new Error('the outbox and orders.accepted did not drain')
  } finally {
    await admin.disconnect()
  }
}

interface ExportedSpan {
  service: string
  traceId: string
  spanId: string
  parentSpanId: string
  name: string
  attributes: Record<string, unknown>
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean }
type OtlpAttribute = { key: string; value: OtlpValue }

const attributesOf = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(
    list.map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue]),
  )

/** Every span in the file exporter's output (one OTLP/JSON export request per line). */
function exportedSpans(): ExportedSpan[] {
  let text = ''
  try {
    text = readFileSync(traceFile, 'utf8')
  } catch {
    return []
  }
  const spans: ExportedSpan[] = []
  for (const line of text.split('\n').filter(Boolean)) {
    const request = JSON.parse(line) as {
      resourceSpans: {
        resource: { attributes: OtlpAttribute[] }
        scopeSpans: {
          spans: {
            traceId: string
            spanId: string
            parentSpanId?: string
            name: string
            attributes?: OtlpAttribute[]
          }[]
        }[]
      }[]
    }
    for (const resourceSpans of request.resourceSpans) {
      const service = String(attributesOf(resourceSpans.resource.attributes)['service.name'])
      for (const scope of resourceSpans.scopeSpans) {
        for (const span of scope.spans) {
          spans.push({
            service,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            attributes: attributesOf(span.attributes),
          })
        }
      }
    }
  }
  return spans
}

test('one purchase is one trace: gateway → Redis reservation → Kafka produce → Postgres', async () => {
  await startCollector()
  const stack = await startStack(
    'async',
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorHttp}`,
      // Export within a fraction of a second instead of every 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      LOG_LEVEL: 'info',
    },
    { portBase },
  )
  try {
    const dealId = await liveDeal(stack, 5, 1)
    const [buyer] = await buyers(1)
    if (!buyer) throw new Error('no buyer')
    await drained()
    const answer = await purchase(stack, dealId, buyer, `traced-${crypto.randomUUID()}`)
    expect(answer.status).toBe(202)
    const orderId = answer.orderId as string
    const settled = await settle(dealId, new Set([orderId]))
    expect(settled.rows.map((row) => [row.id, row.status])).toEqual([[orderId, 'confirmed']])

    // The reservation span names the deal: its trace is this purchase's.
    let trace: ExportedSpan[] = []
    for (let i = 0; i < 100; i++) {
      const spans = exportedSpans()
      const reservation = spans.find(
        (span) =>
          span.name === 'EVALSHA reserve' && span.attributes['flash_deal.deal.id'] === dealId,
      )
      trace = reservation ? spans.filter((span) => span.traceId === reservation.traceId) : []
      if (trace.some((span) => span.name === 'InsertOrders')) break
      await Bun.sleep(100)
    }
    const find = (service: string, name: string) =>
      trace.find((span) => span.service === service && span.name === name)

    const http = find('gateway', 'POST /v1/deals/:id/purchase')
    const reservation = find('gateway', 'EVALSHA reserve')
    const produce = find('order-relay', 'send orders.accepted')
    const process = find('order-consumer', 'process orders.accepted')
    const insert = find('order-consumer', 'InsertOrders')
    expect(http?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/deals/:id/purchase',
      'http.response.status_code': '202',
    })
    expect(reservation?.parentSpanId).toBe(http?.spanId as string)
    expect(reservation?.attributes['db.system']).toBe('redis')
    expect(produce?.parentSpanId).toBe(reservation?.spanId as string)
    expect(produce?.attributes['messaging.destination.name']).toBe('orders.accepted')
    expect(process?.parentSpanId).toBe(produce?.spanId as string)
    expect(insert?.attributes['db.system']).toBe('postgresql')
    const transaction = trace.find((span) => span.spanId === insert?.parentSpanId)
    expect(transaction?.name).toBe('transaction')
    expect(transaction?.parentSpanId).toBe(process?.spanId as string)

    // The gateway's access line of this purchase carries the same trace id (and the span's id).
    const traceId = http?.traceId as string
    const logLines = stack.services.gateway.output
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    const access = logLines.find(
      (line) => line.msg === 'request' && line.path === `/v1/deals/${dealId}/purchase`,
    )
    expect(access?.trace_id).toBe(traceId)
    expect(access?.span_id).toBe(http?.spanId as string)
  } catch (error) {
    console.error(stack.logs())
    throw error
  } finally {
    await stack.stop()
  }
})
