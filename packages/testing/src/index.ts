/**
 * What the integration tests share: where the real servers are (`make test` starts its own and
 * exports their URLs; run alone, `bun test` uses the `make dev` ones), a logger that records
 * instead of printing so tests can assert on log output, requests to an app (`call`, `caller`),
 * places that do not answer (`deadUrls`, `silentServer`) and the readiness bed (`TestProcess`).
 */
import { createLogger, createTelemetry, type Logger } from '@flash-deal/kit'
import {
  INTERNAL_TOKEN_HEADER,
  internalTokenSigner,
  internalTokenVerifier,
} from '@flash-deal/kit/internal-auth'
import { createTokenVerifier, type Role } from '@flash-deal/kit/jwt'
import {
  type DataPoint,
  type Histogram,
  MetricReader,
  type MetricReaderOptions,
} from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose'

export * from './dead'
export * from './http'
export * from './process'

export const testEnv = {
  databaseUrl:
    process.env.DATABASE_URL ?? 'postgres://flashdeal:flashdeal@127.0.0.1:5432/flashdeal',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
}

/**
 * The service-to-service secret of the test run (`make test` exports it to the stack too), and
 * what a test that calls auth, product or order directly needs to pass as the gateway:
 * `internalAuthFor('product')` for the app's deps, `await internalHeaders('product')` on requests.
 */
export const internalAuthSecret =
  process.env.INTERNAL_AUTH_SECRET ?? 'test-internal-auth-secret-0123456789abcdef'
const internalSigner = internalTokenSigner(internalAuthSecret)
export const internalAuthFor = (audience: 'auth' | 'product' | 'order') =>
  internalTokenVerifier(internalAuthSecret, audience)
export const internalHeaders = async (
  audience: 'auth' | 'product' | 'order',
): Promise<Record<string, string>> => ({
  [INTERNAL_TOKEN_HEADER]: await internalSigner.tokenFor(audience),
})
export { internalSigner as internalTokens }

/**
 * Internal tokens a direct caller might try, each of which a service must refuse: none, garbage,
 * the right claims under another key, expired, for another service, from another issuer.
 */
export async function refusedInternalTokens(audience: 'auth' | 'product' | 'order') {
  const now = Math.floor(Date.now() / 1000)
  const sign = (claims: { aud?: string; iss?: string; iat?: number; exp?: number }, key?: string) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(claims.iss ?? 'flash-deal-gateway')
      .setAudience(claims.aud ?? audience)
      .setIssuedAt(claims.iat ?? now)
      .setExpirationTime(claims.exp ?? now + 60)
      .sign(new TextEncoder().encode(key ?? internalAuthSecret))
  const other = audience === 'order' ? 'product' : 'order'
  return [
    ['no token', undefined],
    ['a malformed token', 'not-a-jwt'],
    [
      'a token signed with another secret',
      await sign({}, 'an-attackers-guess-at-the-secret-0123456789'),
    ],
    ['an expired token', await sign({ iat: now - 200, exp: now - 120 })],
    [`a token for ${other}`, await sign({ aud: other })],
    ['a token from another issuer', await sign({ iss: 'flash-deal-auth' })],
  ] as const
}

/**
 * An app as the gateway reaches it: every request gets a valid internal token for `audience`
 * (unless the test set that header itself), as the gateway's proxy adds one.
 */
export function viaGateway<App extends { handle(request: Request): Promise<Response> }>(
  app: App,
  audience: 'auth' | 'product' | 'order',
): { handle(request: Request): Promise<Response> } {
  return {
    async handle(request) {
      const headers = new Headers(request.headers)
      if (!headers.has(INTERNAL_TOKEN_HEADER)) {
        headers.set(INTERNAL_TOKEN_HEADER, await internalSigner.tokenFor(audience))
      }
      return app.handle(new Request(request, { headers }))
    },
  }
}

export interface RecordingLogger extends Logger {
  lines: Record<string, unknown>[]
}

export function recordingLogger(): RecordingLogger {
  const lines: Record<string, unknown>[] = []
  const logger = createLogger({ level: 'debug', sink: (line) => lines.push(JSON.parse(line)) })
  return Object.assign(logger, { lines })
}

export const uniqueSuffix = () =>
  `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`

/**
 * A signing key and a verifier that trusts it, for testing routes behind `bearerAuth` without
 * running the auth service: `tokenFor('admin')` is a valid admin access token.
 */
export async function testTokens(options: { issuer?: string; audience?: string } = {}) {
  const issuer = options.issuer ?? 'flash-deal-auth'
  const audience = options.audience ?? 'flash-deal'
  const signer = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  // The key set a real issuer would publish; serve it to let spawned services verify too.
  const jwks = { keys: [{ ...(await exportJWK(signer.publicKey)), kid: 'test', alg: 'EdDSA' }] }
  const verifier = createTokenVerifier({
    keys: createLocalJWKSet(jwks),
    issuer,
    audience,
  })
  const tokenFor = (role: Role, overrides: { sub?: string; audience?: string } = {}) =>
    new SignJWT({ role, sid: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'test' })
      .setSubject(overrides.sub ?? crypto.randomUUID())
      .setIssuer(issuer)
      .setAudience(overrides.audience ?? audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(crypto.randomUUID())
      .sign(signer.privateKey)
  return { verifier, tokenFor, jwks }
}

/**
 * Tracing on, into memory: `spans()` flushes and returns every finished span so far. The HTTP
 * server span ends just after `app.handle` answers, hence the short wait.
 */
export function recordingTelemetry(serviceName = 'test') {
  const exporter = new InMemorySpanExporter()
  const telemetry = createTelemetry({ serviceName, logger: recordingLogger(), exporter, env: {} })
  return {
    telemetry,
    async spans(): Promise<ReadableSpan[]> {
      await Bun.sleep(5)
      await telemetry.flush()
      return exporter.getFinishedSpans()
    },
  }
}

/** Collects when asked, as a pull exporter (Prometheus) would. */
class CollectingReader extends MetricReader {
  constructor(options?: MetricReaderOptions) {
    super(options)
  }
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

/** One series of an instrument: its attributes and its value (a number, or a histogram). */
export interface MetricPoint {
  attributes: Record<string, unknown>
  value: number | Histogram
}

/**
 * Metrics on (tracing off), read from memory: `points(name)` collects now and returns the
 * series of that instrument (empty when it recorded nothing); `value(name, attributes)` the
 * number of the one series with exactly those attributes (0 when none).
 */
export function recordingMetrics(serviceName = 'test') {
  const reader = new CollectingReader()
  const telemetry = createTelemetry({
    serviceName,
    logger: recordingLogger(),
    metricReader: reader,
    env: {},
  })
  const points = async (name: string): Promise<MetricPoint[]> => {
    const { resourceMetrics } = await reader.collect()
    const metric = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((candidate) => candidate.descriptor.name === name)
    return ((metric?.dataPoints ?? []) as DataPoint<number | Histogram>[]).map((point) => ({
      attributes: { ...point.attributes },
      value: point.value,
    }))
  }
  return {
    telemetry,
    points,
    async value(name: string, attributes: Record<string, unknown> = {}): Promise<number> {
      const match = (await points(name)).find((point) =>
        Bun.deepEquals(point.attributes, attributes),
      )
      if (match === undefined) return 0
      return typeof match.value === 'number' ? match.value : match.value.count
    },
  }
}
