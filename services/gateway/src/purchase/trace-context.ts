import type { Telemetry, TraceContext } from '@flash-deal/kit'

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

// One call per request on the hot path: a lookup table instead of toString/padStart per byte.
function randomHex(bytes: number): string {
  const random = crypto.getRandomValues(new Uint8Array(bytes))
  let hex = ''
  for (const byte of random) hex += HEX[byte]
  return hex
}

/**
 * The W3C `traceparent` the outbox record carries (→ Kafka header → consumer): with tracing on,
 * the reservation span's own, so the relay and the consumer continue this very span; with
 * tracing off, what `traceparentOf` makes of the request's headers.
 */
export function outboxTraceparent(
  telemetry: Telemetry,
  reservation: TraceContext,
  headers: Headers,
): string {
  return (telemetry.enabled && telemetry.traceparentOf(reservation)) || traceparentOf(headers)
}

/**
 * The W3C `traceparent` this purchase travels with when tracing is off (outbox record → Kafka header → consumer):
 * the caller's trace when it sent a valid one, else a new trace, so every accepted order can be
 * followed downstream.
 */
export function traceparentOf(headers: Headers): string {
  const incoming = headers.get('traceparent')
  const match = incoming ? TRACEPARENT.exec(incoming) : null
  const traceId = match?.[1] && !/^0+$/.test(match[1]) ? match[1] : randomHex(16)
  return `00-${traceId}-${randomHex(8)}-${match?.[3] ?? '01'}`
}
