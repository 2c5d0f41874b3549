import { StripeError } from '../errors'
import type { IdempotencyRecord, SandboxStore } from '../store/store'

export interface Answer<T> {
  status: number
  body: T
  /** The answer is held back (see `pm_card_timeout`); so is every replay of it. */
  slow?: boolean
}

export type LedgerAnswer<T> = Answer<T> & { replayed: boolean }

export interface RequestFingerprint {
  method: string
  path: string
  body: unknown
}

const REPLAYED = { 'idempotent-replayed': 'true' }

/**
 * Stripe's idempotency rules: the first result of a key — success or a 4xx the endpoint decided —
 * is saved with the request's method, path and parameters. The same key again with the same
 * request answers that result (`Idempotent-Replayed: true`) and does nothing; with other
 * parameters or on another endpoint it is a 400 `idempotency_error`; while the first request
 * still runs, a 409 `idempotency_key_in_use`. Requests refused by validation never reach here, so,
 * as at Stripe, they save nothing.
 */
export class IdempotencyLedger {
  private readonly running = new Set<string>()

  constructor(private readonly store: SandboxStore) {}

  async run<T>(
    key: string | undefined,
    request: RequestFingerprint,
    execute: () => Promise<Answer<T>> | Answer<T>,
  ): Promise<Answer<T> & { replayed: boolean }> {
    if (key === undefined) return { ...(await execute()), replayed: false }
    const fingerprint = fingerprintOf(request)
    const saved = this.store.idempotencyRecord(key)
    if (saved) return replay<T>(key, saved, fingerprint)
    if (this.running.has(key)) {
      throw new StripeError(
        409,
        'idempotency_key_in_use',
        'Idempotency key in use',
        `Another request with the idempotency key '${key}' is still running; retry once it has finished`,
      )
    }
    this.running.add(key)
    try {
      const answer = await execute()
      this.store.saveIdempotencyRecord(key, {
        fingerprint,
        savedAt: this.store.now(),
        status: answer.status,
        body: answer.body,
        ...(answer.slow ? { slow: true } : {}),
      })
      return { ...answer, replayed: false }
    } catch (error) {
      if (error instanceof StripeError && error.status < 500) {
        const { code: _code, ...extensions } = error.extensions
        this.store.saveIdempotencyRecord(key, {
          fingerprint,
          savedAt: this.store.now(),
          status: error.status,
          problem: {
            status: error.status,
            code: error.code,
            title: error.title,
            detail: error.detail ?? error.title,
            extensions,
          },
        })
      }
      throw error
    } finally {
      this.running.delete(key)
    }
  }
}

function replay<T>(
  key: string,
  saved: IdempotencyRecord,
  fingerprint: string,
): Answer<T> & { replayed: true } {
  if (saved.fingerprint !== fingerprint) {
    throw new StripeError(
      400,
      'idempotency_error',
      'Idempotency key reused',
      `Keys for idempotent requests can only be used with the same parameters they were first used with. Try a key other than '${key}' if you meant to make a different request.`,
    )
  }
  const { problem } = saved
  if (problem) {
    throw new StripeError(
      problem.status,
      problem.code,
      problem.title,
      problem.detail,
      problem.extensions,
      REPLAYED,
    )
  }
  return {
    status: saved.status,
    body: saved.body as T,
    replayed: true,
    ...(saved.slow ? { slow: true } : {}),
  }
}

/** Two requests are "the same" when their parameters are equal, whatever the key order. */
export function fingerprintOf({ method, path, body }: RequestFingerprint): string {
  return `${method.toUpperCase()} ${path} ${canonicalJson(body ?? null)}`
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
