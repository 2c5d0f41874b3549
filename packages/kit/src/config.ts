import type { Static, TObject } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/** Thrown at start-up when the environment does not match the service's config schema. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`invalid environment variable ${variable}: ${reason}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

/**
 * Reads the variables a schema names from the environment, converts them (numbers, booleans),
 * fills defaults, and fails fast naming the first bad variable. Empty strings count as unset so
 * `FOO=` in an env file falls back to the default instead of becoming an invalid value.
 */
export function loadConfig<S extends TObject>(schema: S, env: Env = process.env): Static<S> {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(schema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  const converted = Value.Default(schema, Value.Convert(schema, raw))
  const first = Value.Errors(schema, converted).First()
  if (first) {
    const variable = first.path.split('/')[1] || first.path || '(root)'
    const shown = raw[variable] === undefined ? 'it is missing' : `got "${raw[variable]}"`
    throw new ConfigError(variable, `${first.message} (${shown})`)
  }
  return converted as Static<S>
}

/** For composition roots: load the config or print why not and exit 1 before anything starts. */
export function loadConfigOrExit<S extends TObject>(service: string, schema: S): Static<S> {
  try {
    return loadConfig(schema)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'error', service, msg: error.message, variable: error.variable })}\n`,
    )
    process.exit(1)
  }
}
