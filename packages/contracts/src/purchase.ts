import {
  BadRequestError,
  ConflictError,
  DomainError,
  NotFoundError,
  ValidationError,
} from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

/**
 * The purchase as both paths answer it: the async gateway route (202, Redis) and the sync order
 * route (201, Postgres). Same body, same header, same refusals with the same problem types, so
 * one Tavern suite and one k6 script run against either mode.
 */

export const PurchaseParams = T.Object({ id: T.String({ format: 'uuid' }) })

export const PurchaseBody = T.Object(
  {
    quantity: T.Optional(
      T.Integer({
        minimum: 1,
        default: 1,
        description: 'units to buy; at most the per-user limit',
      }),
    ),
  },
  { additionalProperties: false },
)

export const PurchaseAccepted = T.Object({
  orderId: T.String({ format: 'uuid' }),
  status: T.Union([T.Literal('pending'), T.Literal('confirmed')], {
    description: '`pending` (async: reserved, on its way to Postgres) or `confirmed` (sync)',
  }),
})

/** Visible ASCII, 1–64 characters (the Idempotency-Key of the IETF httpapi draft, bounded). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,64}$/

export const idempotencyKeyParameter = {
  in: 'header',
  name: 'Idempotency-Key',
  required: true,
  description:
    'Names this purchase: a retry with the same key returns the first answer and reserves nothing more. 1–64 visible ASCII characters, unique per deal and user.',
  schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
} as const

/** The header's value, or a 400 that says what is wrong with it (and nothing was reserved). */
export function idempotencyKeyOf(headers: Headers | Record<string, string | undefined>): string {
  const value =
    headers instanceof Headers ? headers.get('idempotency-key') : headers['idempotency-key']
  const field = 'headers.idempotency-key'
  if (value === null || value === undefined || value === '') {
    throw new BadRequestError('The Idempotency-Key header is required', [
      { field, message: 'is required' },
    ])
  }
  if (!IDEMPOTENCY_KEY.test(value)) {
    throw new BadRequestError('Idempotency-Key must be 1–64 visible ASCII characters', [
      { field, message: 'must be 1–64 visible ASCII characters' },
    ])
  }
  return value
}

/** Why a purchase was refused; each has its own problem type clients can switch on. */
export type PurchaseRefusal =
  | 'deal-not-found'
  | 'not-started'
  | 'ended'
  | 'quantity-above-limit'
  | 'limit-reached'
  | 'sold-out'
  | 'idempotency-key-reused'

export function purchaseRefused(reason: PurchaseRefusal, context: { limit?: number } = {}) {
  switch (reason) {
    case 'deal-not-found':
      return new NotFoundError('No deal has this id')
    case 'not-started':
      return new DomainError(422, 'deal-not-live', 'Deal is not live', 'The deal has not started', {
        reason,
      })
    case 'ended':
      return new DomainError(422, 'deal-not-live', 'Deal is not live', 'The deal has ended', {
        reason,
      })
    case 'quantity-above-limit':
      return new ValidationError(
        `quantity: must not exceed the per-user limit (${context.limit})`,
        [
          {
            field: 'body.quantity',
            message: `must not exceed the per-user limit (${context.limit})`,
          },
        ],
      )
    case 'limit-reached':
      return new ConflictError(
        'purchase-limit-reached',
        'Purchase limit reached',
        `This would take you above the per-user limit of ${context.limit}`,
      )
    case 'sold-out':
      return new ConflictError('sold-out', 'Sold out', 'Not enough stock left for this quantity')
    case 'idempotency-key-reused':
      return new DomainError(
        422,
        'idempotency-key-reused',
        'Idempotency-Key reused',
        'This Idempotency-Key was used for a purchase with a different quantity',
      )
  }
}
