/**
 * A small structured logger: one JSON object per line on stdout, with bindings carried by
 * children (service, request id). It uses no Node APIs so the same code runs at the edge.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFields = Record<string, unknown>

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  child(bindings: LogFields): Logger
  /** Whether a line of this level would be written (to skip building costly fields). */
  enabled(level: LogLevel): boolean
}

export type LogSink = (line: string) => void

const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`)
}

export function createLogger(
  options: { level?: LogLevel; bindings?: LogFields; sink?: LogSink } = {},
): Logger {
  const threshold = rank[options.level ?? 'info']
  const bindings = options.bindings ?? {}
  const sink = options.sink ?? stdoutSink

  const write = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (rank[level] < threshold) return
    const entry: LogFields = { time: new Date().toISOString(), level, ...bindings, msg }
    if (fields) for (const [key, value] of Object.entries(fields)) entry[key] = serialise(value)
    sink(JSON.stringify(entry))
  }

  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    enabled: (level) => rank[level] >= threshold,
    child: (more) =>
      createLogger({ level: options.level, bindings: { ...bindings, ...more }, sink }),
  }
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack }
  }
  return value
}
