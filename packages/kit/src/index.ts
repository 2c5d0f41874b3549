export { allowedMethods } from './allowed-methods'
export { bearerAuth, bearerSecurity } from './auth'
export {
  type BodyLimits,
  DEFAULT_MAX_BODY_DEPTH,
  isJsonMediaType,
  MalformedJsonError,
  parseJsonText,
  readJsonBody,
  UnsupportedMediaTypeError,
} from './body'
export { readCapped } from './capped-read'
export { ConfigError, loadConfig, loadConfigOrExit } from './config'
export { withDeadline } from './deadline'
export * from './errors'
export { isInstant } from './formats'
export {
  createServiceApp,
  ProblemSchema,
  type ReadinessCheck,
  type ServiceAppOptions,
  toDomainError,
  traceContextOf,
} from './http'
export {
  type Closeable,
  createShutdown,
  type ListenConfig,
  onShutdownSignal,
  type ServeOptions,
  type ShutdownOptions,
  serve,
  transportBodyLimit,
} from './lifecycle'
export { createLogger, type LogFields, type Logger, type LogLevel, type LogSink } from './logger'
export type { OpenAPIDocument } from './openapi'
export { problemContent } from './openapi-errors'
export { activeTrace, withTrace } from './request-scope'
export {
  baseConfig,
  databaseUrl,
  httpUrl,
  internalAuthSecret,
  kafkaBrokers,
  port,
  redisClusterNodes,
  redisUrl,
  revocationRefreshMs,
} from './service-config'
export {
  createTelemetry,
  type Link,
  type Meter,
  ROOT_CONTEXT,
  recordError,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type Telemetry,
  type TelemetryOptions,
  type TelemetryStats,
  type TraceContext,
  telemetryOff,
  withRedisSpan,
} from './telemetry'
