import type { Logger } from './logger'
import type { Telemetry } from './telemetry'

/** Something to close at shutdown: a server, a SQL pool, a Redis client, a Kafka consumer. */
export interface Closeable {
  name: string
  close: () => Promise<unknown> | unknown
}

export interface ShutdownOptions {
  logger: Logger
  /** Closed in order: stop taking work first, then the clients the work used. */
  steps: Closeable[]
  /** After this the process exits even if a step hangs. */
  timeoutMs?: number
  exit?: (code: number) => void
}

/**
 * Registers SIGTERM/SIGINT handlers that run the shutdown steps once. A second signal while
 * shutting down does not start a second shutdown; it is logged and ignored, and the timeout
 * bounds how long a stuck step can hold the process.
 */
export function onShutdownSignal(options: ShutdownOptions): () => Promise<void> {
  const shutdown = createShutdown(options)
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      options.logger.info('shutdown signal received', { signal })
      void shutdown()
    })
  }
  return shutdown
}

export function createShutdown(options: ShutdownOptions): () => Promise<void> {
  const { logger, steps } = options
  const timeoutMs = options.timeoutMs ?? 10_000
  const exit = options.exit ?? ((code: number) => process.exit(code))
  let running: Promise<void> | undefined

  return () => {
    if (running) return running
    running = (async () => {
      const timer = setTimeout(() => {
        logger.error('shutdown timed out, exiting', { timeoutMs })
        exit(1)
      }, timeoutMs)
      let failed = false
      for (const step of steps) {
        try {
          await step.close()
          logger.info('closed', { step: step.name })
        } catch (error) {
          failed = true
          logger.error('close failed', { step: step.name, error })
        }
      }
      clearTimeout(timer)
      logger.info('shutdown complete')
      exit(failed ? 1 : 0)
    })()
    return running
  }
}

/**
 * Bun's own body cap, above the app's: Bun refuses a body over it before any code runs, with a
 * bare 413 (no body, no content type). The app enforces MAX_BODY_BYTES itself (Content-Length
 * first, then while reading), answering problem+json, so Bun's cap only stops the absurd.
 */
export const transportBodyLimit = (maxBodyBytes: number) => Math.max(16 * maxBodyBytes, 1 << 20)

interface Listenable {
  listen(options: { port: number; hostname: string; maxRequestBodySize: number }): unknown
  stop(closeActiveConnections?: boolean): Promise<unknown>
}

/** The listening part of a service's config (baseConfig plus PORT). */
export interface ListenConfig {
  PORT: number
  HOST: string
  MAX_BODY_BYTES: number
  SHUTDOWN_TIMEOUT_MS: number
}

export interface ServeOptions {
  config: ListenConfig
  logger: Logger
  /** Closed after the HTTP server has drained, in this order. */
  close: Closeable[]
  /** Flushed last, so that the spans of the shutdown itself are exported too. */
  telemetry?: Telemetry
}

/**
 * Starts an Elysia app and wires graceful shutdown: on SIGTERM/SIGINT the server stops
 * accepting, in-flight requests finish, then the clients close and the process exits.
 */
export function serve(
  app: Listenable,
  { config, logger, close, telemetry }: ServeOptions,
): () => Promise<void> {
  app.listen({
    port: config.PORT,
    hostname: config.HOST,
    maxRequestBodySize: transportBodyLimit(config.MAX_BODY_BYTES),
  })
  logger.info('listening', { url: `http://${config.HOST}:${config.PORT}`, swagger: '/swagger' })
  return onShutdownSignal({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    steps: [
      { name: 'http server', close: () => app.stop(false) },
      ...close,
      ...(telemetry?.enabled ? [{ name: 'telemetry', close: () => telemetry.shutdown() }] : []),
    ],
  })
}
