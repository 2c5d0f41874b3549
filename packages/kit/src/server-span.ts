/** The HTTP server span and the request duration histogram (semantic conventions). */
import {
  type Meter,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Telemetry,
  type TraceContext,
} from './telemetry'

/** `http.server.request.duration` (semantic conventions), in seconds. */
export function requestDurationHistogram(meter: Meter) {
  return meter.createHistogram('http.server.request.duration', {
    description: 'Duration of HTTP server requests',
    unit: 's',
    // The buckets the semantic conventions recommend for this histogram.
    advice: {
      explicitBucketBoundaries: [
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
      ],
    },
  })
}

/**
 * The HTTP server span (semantic conventions); named `METHOD route` once the route is known. Its
 * attributes are built only when it records: a span the sampler drops (e.g. while the collector
 * is unreachable) costs no URL parsing.
 */
export function startServerSpan(
  telemetry: Telemetry,
  request: Request,
  caller: TraceContext,
): Span {
  const span = telemetry.tracer.startSpan(request.method, { kind: SpanKind.SERVER }, caller)
  if (!span.isRecording()) return span
  const url = new URL(request.url)
  span.setAttributes({
    'http.request.method': request.method,
    'url.path': url.pathname,
    'url.scheme': url.protocol.replace(':', ''),
    'server.address': url.hostname,
    'server.port': Number(url.port) || undefined,
    'user_agent.original': request.headers.get('user-agent') ?? undefined,
  })
  return span
}

export function endServerSpan(
  span: Span,
  method: string,
  route: string | undefined,
  status: number,
) {
  // `route` is the matched template (`/v1/deals/:id/purchase`); none when nothing matched.
  if (route) {
    span.updateName(`${method} ${route}`)
    span.setAttribute('http.route', route)
  }
  span.setAttribute('http.response.status_code', status)
  // Server spans fail on 5xx only: a 4xx is the caller's mistake, not this service's.
  if (status >= 500) {
    span.setAttribute('error.type', String(status))
    span.setStatus({ code: SpanStatusCode.ERROR })
  }
  span.end()
}
