import { BadRequestError } from '@flash-deal/kit'
import { Elysia } from 'elysia'
import { UnsupportedMediaTypeError } from './errors'
import { IDEMPOTENCY_KEY } from './intents/model'

/** The `Idempotency-Key` header, if any; a malformed one is refused before anything runs. */
export function idempotencyKeyOf(headers: Record<string, string | undefined>): string | undefined {
  const key = headers['idempotency-key']
  if (key === undefined) return undefined
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new BadRequestError('Idempotency-Key must be 1–255 printable ASCII characters')
  }
  return key
}

/**
 * The request id the kit gave this request (it sets the response header first thing), for
 * controllers whose types do not see the kit's `derive`.
 */
export const requestIdOf = (set: { headers: Record<string, unknown> }): string =>
  String(set.headers['x-request-id'] ?? '')

/**
 * Bodies are JSON (Stripe's are form-encoded; this sandbox follows the project's one input rule):
 * anything else with a body is 415, refused before it is parsed (a parse error would be a 400).
 */
export const jsonBodies = new Elysia({ name: 'json-bodies' }).onRequest(({ request }) => {
  if (request.method === 'GET' || request.method === 'HEAD') return
  const length = request.headers.get('content-length')
  if (length === '0' || (length === null && request.body === null)) return
  if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) {
    throw new UnsupportedMediaTypeError()
  }
})
