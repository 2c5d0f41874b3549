/**
 * Reverse proxy to the owning service, built on fetch only (no `node:` imports) so the gateway
 * can run on an edge runtime. Bodies are buffered up to a cap: the API carries small JSON
 * documents, and a cap bounds what one client can make the gateway hold.
 */
import {
  BadGatewayError,
  GatewayTimeoutError,
  readCapped,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Telemetry,
} from '@flash-deal/kit'
import { INTERNAL_TOKEN_HEADER, type InternalTokenSigner } from '@flash-deal/kit/internal-auth'

export interface Upstream {
  name: string
  baseUrl: string
  timeoutMs: number
}

// RFC 9110 §7.6.1 connection-specific fields, plus `host` (the upstream gets its own).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
])

export function forwardHeaders(source: Headers): Headers {
  const named = (source.get('connection') ?? '')
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter(Boolean)
  const headers = new Headers()
  source.forEach((value, key) => {
    if (!HOP_BY_HOP.has(key) && !named.includes(key)) headers.set(key, value)
  })
  return headers
}

export interface ProxyContext {
  requestId: string
  /** Signs the X-Internal-Token that proves to the upstream the call comes from the gateway. */
  internalTokens: InternalTokenSigner
  clientAddress?: string
  maxBodyBytes: number
  /** Tracing: the upstream call is a client span under the active context (the request's). */
  telemetry: Telemetry
}

export async function proxy(
  upstream: Upstream,
  request: Request,
  context: ProxyContext,
): Promise<Response> {
  const url = new URL(request.url)
  const target = new URL(url.pathname + url.search, upstream.baseUrl)
  const headers = forwardHeaders(request.headers)
  headers.set('x-request-id', context.requestId)
  // Replaces whatever a client sent under that name: only the gateway's own token goes through.
  headers.set(INTERNAL_TOKEN_HEADER, await context.internalTokens.tokenFor(upstream.name))
  headers.set('x-forwarded-host', url.host)
  headers.set('x-forwarded-proto', url.protocol.replace(':', ''))
  if (context.clientAddress) {
    const prior = request.headers.get('x-forwarded-for')
    headers.set(
      'x-forwarded-for',
      prior ? `${prior}, ${context.clientAddress}` : context.clientAddress,
    )
  }
  // Ask for an uncompressed answer: fetch would decompress it anyway, and we stream it on as is.
  headers.delete('accept-encoding')
  const body =
    request.method === 'GET' || request.method === 'HEAD' || !request.body
      ? undefined
      : await readCapped(request, context.maxBodyBytes)

  const response = await context.telemetry.withSpan(
    request.method,
    {
      kind: SpanKind.CLIENT,
      attributes: clientSpanAttributes(request, target),
    },
    async (span, hop) => {
      // The upstream continues the trace from this hop, not from the caller's span. Tracing
      // off: no span, and the caller's traceparent goes through untouched.
      if (context.telemetry.enabled) {
        const traceparent = context.telemetry.traceparentOf(hop)
        if (traceparent) headers.set('traceparent', traceparent)
      }
      const response = await send(upstream, target, request.method, headers, body)
      endClientSpan(span, response.status)
      return response
    },
  )
  const responseHeaders = forwardHeaders(response.headers)
  responseHeaders.delete('content-length')
  responseHeaders.delete('content-encoding')
  // The gateway sets its own x-request-id (the same id); keeping the upstream's would repeat it.
  responseHeaders.delete('x-request-id')
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: responseHeaders,
  })
}

async function send(
  upstream: Upstream,
  target: URL,
  method: string,
  headers: Headers,
  body: Uint8Array<ArrayBuffer> | undefined,
): Promise<Response> {
  try {
    return await fetch(target, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(upstream.timeoutMs),
    })
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError') {
      throw new GatewayTimeoutError(upstream.name, upstream.timeoutMs)
    }
    throw new BadGatewayError(upstream.name)
  }
}

/** The HTTP client span's attributes (semantic conventions), known before the call. */
function clientSpanAttributes(request: Request, target: URL) {
  return {
    'http.request.method': request.method,
    'server.address': target.hostname,
    'server.port': Number(target.port) || (target.protocol === 'https:' ? 443 : 80),
    'url.full': target.href,
  }
}

/**
 * The answer's status on the span. Only 5xx fails the hop: a 4xx is the client's request
 * relayed as is, not a fault of the gateway or the upstream. (Timeouts and unreachable
 * upstreams fail it through `withSpan`, which records what `send` throws.)
 */
function endClientSpan(span: Span, status: number) {
  span.setAttribute('http.response.status_code', status)
  if (status >= 500) {
    span.setAttribute('error.type', String(status))
    span.setStatus({ code: SpanStatusCode.ERROR })
  }
}
