import { timingSafeEqual } from 'node:crypto'
import { DomainError } from '@flash-deal/kit'
import { Elysia } from 'elysia'

/** Stripe's 401 for a missing or wrong secret key. */
class InvalidApiKeyError extends DomainError {
  constructor(detail: string) {
    super(
      401,
      'invalid-api-key',
      'Invalid API key',
      detail,
      { code: 'api_key_invalid' },
      {
        'www-authenticate': 'Bearer realm="payment-sandbox"',
      },
    )
  }
}

export const apiKeySecurity = [{ secretKey: [] }]

/** The scheme `apiKeySecurity` names, added to the served document. */
export const secretKeyScheme = {
  type: 'http',
  scheme: 'bearer',
  description:
    "The merchant's secret key (PAYMENT_API_KEY), as Stripe's `sk_test_…` keys are sent.",
}

/**
 * Every `/v1` route needs the merchant's secret key as a bearer token, as Stripe's do. Compared
 * in constant time, so the answer's timing says nothing about how much of a guess was right.
 */
export function apiKeyAuth(apiKey: string) {
  const expected = Buffer.from(apiKey)
  // onRequest: refused before the body is read, so a stranger learns nothing from validation.
  return new Elysia({ name: 'api-key' }).onRequest(({ request }) => {
    if (!new URL(request.url).pathname.startsWith('/v1/')) return
    const header = request.headers.get('authorization') ?? ''
    const match = /^Bearer (.+)$/.exec(header)
    if (!match?.[1])
      throw new InvalidApiKeyError('Send your secret key as `Authorization: Bearer <key>`')
    const given = Buffer.from(match[1])
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidApiKeyError('The API key is not valid')
    }
  })
}
