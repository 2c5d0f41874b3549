/**
 * Metrics in the kit: off without an endpoint, on with one, and the HTTP server duration
 * histogram recording method, route and status for requests through `createServiceApp`.
 */
import { describe, expect, test } from 'bun:test'
import {
  type DataPoint,
  type Histogram,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics'
import { createServiceApp } from '../src/http'
import { createLogger } from '../src/logger'
import { createTelemetry } from '../src/telemetry'

const logger = createLogger({ level: 'error', sink: () => {} })

/** Collects on demand, as a pull exporter would. */
class TestReader extends MetricReader {
  protected onShutdown = async () => {}
  protected onForceFlush = async () => {}

  async metric(name: string): Promise<MetricData | undefined> {
    const { resourceMetrics } = await this.collect()
    return resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((metric) => {
        return metric.descriptor.name === name
      })
  }
}

const get = (path: string) => new Request(`http://localhost${path}`)

describe('metrics off', () => {
  test('without an OTLP endpoint the meter is the no-op and requests answer as before', async () => {
    const telemetry = createTelemetry({ serviceName: 'shop', logger, env: {} })
    expect(telemetry.metricsEnabled).toBe(false)
    // The no-op instrument neither records nor throws.
    telemetry.meter.createCounter('anything').add(1)
    const app = createServiceApp({
      name: 'shop',
      version: '1',
      description: 't',
      logger,
      telemetry,
    })
    expect((await app.handle(get('/health/live'))).status).toBe(200)
  })

  test('OTEL_METRICS_EXPORTER=none switches metrics off and leaves tracing on', async () => {
    const telemetry = createTelemetry({
      serviceName: 'shop',
      logger,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_METRICS_EXPORTER: 'none' },
    })
    expect(telemetry.metricsEnabled).toBe(false)
    expect(telemetry.enabled).toBe(true)
    await telemetry.shutdown()
  })

  test('an endpoint switches them on; a collector that is down does not hold shutdown', async () => {
    const telemetry = createTelemetry({
      serviceName: 'shop',
      logger,
      env: {
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://127.0.0.1:1/v1/metrics',
        OTEL_TRACES_EXPORTER: 'none',
      },
    })
    expect(telemetry.metricsEnabled).toBe(true)
    expect(telemetry.enabled).toBe(false)
    telemetry.meter.createCounter('things').add(1)
    const started = performance.now()
    await telemetry.shutdown()
    expect(performance.now() - started).toBeLessThan(4000)
  })
})

describe('http.server.request.duration', () => {
  test('records method, route template and status per request', async () => {
    const reader = new TestReader()
    const telemetry = createTelemetry({
      serviceName: 'shop',
      logger,
      env: {},
      metricReader: reader,
    })
    expect(telemetry.metricsEnabled).toBe(true)
    // Tracing stays off: it has no exporter and no endpoint.
    expect(telemetry.enabled).toBe(false)
    const app = createServiceApp({
      name: 'shop',
      version: '1',
      description: 't',
      logger,
      telemetry,
    })
      .get('/things/:id', ({ params }) => ({ id: params.id }))
      .get('/boom', () => {
        throw new Error('boom')
      })
    expect((await app.handle(get('/things/7'))).status).toBe(200)
    expect((await app.handle(get('/things/8'))).status).toBe(200)
    expect((await app.handle(get('/boom'))).status).toBe(500)
    expect((await app.handle(get('/nowhere'))).status).toBe(404)
    // onAfterResponse (where a successful request is recorded) runs after `handle` answered.
    await Bun.sleep(5)

    const metric = await reader.metric('http.server.request.duration')
    expect(metric?.descriptor.unit).toBe('s')
    const points = (metric?.dataPoints ?? []) as DataPoint<Histogram>[]
    const series: Record<string, unknown>[] = points.map((point) => ({
      ...point.attributes,
      count: point.value.count,
    }))
    expect(series).toContainEqual({
      'http.request.method': 'GET',
      'http.route': '/things/:id',
      'http.response.status_code': 200,
      count: 2,
    })
    expect(series).toContainEqual({
      'http.request.method': 'GET',
      'http.route': '/boom',
      'http.response.status_code': 500,
      'error.type': '500',
      count: 1,
    })
    // No route matched: no `http.route`, so probes of random paths do not multiply the series.
    expect(series).toContainEqual({
      'http.request.method': 'GET',
      'http.response.status_code': 404,
      count: 1,
    })
    const things = points.find((point) => point.attributes['http.route'] === '/things/:id')
    expect(things?.value.sum).toBeGreaterThan(0)
    expect(things?.value.sum).toBeLessThan(1)
    await telemetry.shutdown()
  })
})
