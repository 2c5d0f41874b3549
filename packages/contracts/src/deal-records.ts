/** The formats of the values in a deal's Redis state (keys and scripts: deal-state.ts). */

/** The fields of `deal:{id}:info`, as publish-deal, reschedule-deal and restore-deal write them. */
export const DEAL_INFO_FIELDS = [
  'price',
  'perUserLimit',
  'startsAt',
  'endsAt',
  'productId',
] as const

/** A deal's terms as `deal:{id}:info` holds them. */
export interface DealInfo {
  price: number
  perUserLimit: number
  /** Epoch ms. */
  startsAt: number
  /** Epoch ms. */
  endsAt: number
  productId: string
}

/** Reads an `HGETALL deal:{id}:info` answer; null when a field is missing or not a number. */
export function parseDealInfo(hash: Record<string, string>): DealInfo | null {
  const [price, perUserLimit, startsAt, endsAt] = DEAL_INFO_FIELDS.slice(0, 4).map((field) =>
    Number(hash[field] ?? Number.NaN),
  ) as [number, number, number, number]
  const productId = hash.productId
  if (!productId || [price, perUserLimit, startsAt, endsAt].some((n) => !Number.isSafeInteger(n)))
    return null
  return { price, perUserLimit, startsAt, endsAt, productId }
}

/** The field of `deal:{id}:idempotency` for one user's Idempotency-Key. */
export const idempotencyField = (userId: string, idempotencyKey: string) =>
  `${userId}:${idempotencyKey}`

/** The value of that field: the first purchase made with the key. */
export const idempotencyRecord = (orderId: string, quantity: number) => `${orderId}:${quantity}`

/** Reads an idempotency record; null for one that is not in that format. */
export function parseIdempotencyRecord(
  value: string,
): { orderId: string; quantity: number } | null {
  const [orderId, quantity, extra] = value.split(':')
  const units = Number(quantity)
  if (!orderId || extra !== undefined || !Number.isSafeInteger(units)) return null
  return { orderId, quantity: units }
}

/**
 * An accepted order as `reserve.lua` records it in `deal:{id}:orders`, in the same atomic step
 * as the reservation and the outbox record, so its `Location` answers at once, whatever the
 * relay and the consumer are doing. Field = order id, value =
 * `userId:quantity:unitPrice:acceptedAtMs` (Redis's clock). Only the gateway's script writes
 * it; the relay gives it the deal's retention expiry with the rest of the purchase state. The
 * order service reads it when Postgres has no row for an order yet.
 */
export interface PendingOrder {
  id: string
  dealId: string
  userId: string
  quantity: number
  unitPrice: number
  /** ISO 8601, the Redis clock at the reservation. */
  acceptedAt: string
}

/** Reads a `deal:{id}:orders` value; null for one that is not in the script's format. */
export function parsePendingOrder(
  dealId: string,
  orderId: string,
  value: string,
): PendingOrder | null {
  const [userId, quantity, unitPrice, acceptedAtMs] = value.split(':')
  const numbers = [quantity, unitPrice, acceptedAtMs].map(Number)
  if (!userId || numbers.some((n) => !Number.isSafeInteger(n))) return null
  return {
    id: orderId,
    dealId,
    userId,
    quantity: numbers[0] as number,
    unitPrice: numbers[1] as number,
    acceptedAt: new Date(numbers[2] as number).toISOString(),
  }
}
