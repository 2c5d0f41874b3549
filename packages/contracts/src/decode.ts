import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

export type Decoded<V> = { ok: true; value: V } | { ok: false; reason: string }

/** `candidate` if it is a valid `schema`; else why not (the first error, with its path). */
export function checkEvent<S extends TSchema>(schema: S, candidate: unknown): Decoded<Static<S>> {
  if (Value.Check(schema, candidate)) return { ok: true, value: candidate }
  const first = Value.Errors(schema, candidate).First()
  return {
    ok: false,
    reason: first ? `${first.path || '/'}: ${first.message}` : `not an ${schema.title}`,
  }
}

/** Reads a Kafka record value as a `schema` event; anything else says why. */
export function decodeEvent<S extends TSchema>(
  schema: S,
  value: Buffer | string | null,
): Decoded<Static<S>> {
  if (value === null) return { ok: false, reason: 'empty record' }
  let parsed: unknown
  try {
    parsed = JSON.parse(value.toString())
  } catch {
    return { ok: false, reason: 'value is not JSON' }
  }
  return checkEvent(schema, parsed)
}
