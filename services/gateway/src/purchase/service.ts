import { dealKeys, purchaseRefused } from '@flash-deal/contracts'
import { type Logger, ServiceUnavailableError, SpanKind, type Telemetry } from '@flash-deal/kit'
import { v7 as uuidv7 } from 'uuid'
import type { LuaScript, RedisPort } from '../redis/port'
import { outboxTraceparent } from './trace-context'

export interface PurchaseRequest {
  dealId: string
  userId: string
  idempotencyKey: string
  quantity: number
  /** The request's headers: the caller's `traceparent` when tracing is off. */
  headers: Headers
}

export interface Reservation {
  orderId: string
  /** True when this is a retry of a purchase already accepted (nothing new was reserved). */
  replayed: boolean
}

type ReserveReply = [outcome: string, orderId: string, value: number]

/**
 * The async purchase (Phase 2): one call of `reserve.lua` — one round trip — decides and
 * reserves in Redis and appends the OrderAccepted record to the deal's outbox stream; the relay
 * and the consumer take it to Postgres later (the relay also makes it readable as `pending`). If
 * Redis cannot be asked, nothing is accepted (503): fail closed.
 */
export function createReservations(
  port: RedisPort,
  reserveScript: LuaScript,
  logger: Logger,
  telemetry: Telemetry,
) {
  const spanOptions = (dealId: string) => ({
    kind: SpanKind.CLIENT,
    attributes: {
      'flash_deal.deal.id': dealId,
      // `db.system` is what service maps (SigNoz) key on; `db.system.name` is its stable name.
      'db.system': 'redis',
      'db.system.name': 'redis',
      'db.operation.name': `EVALSHA ${reserveScript.name}`,
    },
  })
  return async function reserveStock(request: PurchaseRequest): Promise<Reservation> {
    const orderId = uuidv7()
    const reply = await telemetry.withSpan(
      `EVALSHA ${reserveScript.name}`,
      spanOptions(request.dealId),
      async (span, reservation) => {
        let reply: ReserveReply
        try {
          reply = (await port.run(reserveScript, dealKeys(request.dealId), [
            request.userId,
            request.idempotencyKey,
            request.quantity,
            orderId,
            request.dealId,
            // This span's context: the relay and the consumer continue the purchase from here.
            outboxTraceparent(telemetry, reservation, request.headers),
          ])) as ReserveReply
        } catch (error) {
          // Not "nothing was reserved": a connection lost after Redis ran the script leaves the
          // outcome unknown. The Idempotency-Key settles it: a retry with the same key answers
          // the purchase that was made, or makes it now — never twice.
          logger.error('reservation failed: Redis unreachable', { error, dealId: request.dealId })
          throw new ServiceUnavailableError(
            'Purchases are unavailable right now; retry with the same Idempotency-Key (it never buys twice)',
            1,
          )
        }
        span.setAttribute('flash_deal.purchase.outcome', reply[0])
        return reply
      },
    )
    const [outcome, id, value] = reply
    switch (outcome) {
      case 'accepted':
        return { orderId: id, replayed: false }
      case 'replayed':
        return { orderId: id, replayed: true }
      case 'deal_unavailable':
        throw new ServiceUnavailableError('This deal is being restored; try again shortly', 1)
      case 'deal_not_found':
        throw purchaseRefused('deal-not-found')
      case 'not_started':
        throw purchaseRefused('not-started')
      case 'ended':
        throw purchaseRefused('ended')
      case 'quantity_above_limit':
        throw purchaseRefused('quantity-above-limit', { limit: value })
      case 'limit_reached':
        throw purchaseRefused('limit-reached', { limit: value })
      case 'sold_out':
        throw purchaseRefused('sold-out')
      case 'idempotency_key_reused':
        throw purchaseRefused('idempotency-key-reused')
      default:
        throw new Error(`reserve.lua answered an unknown outcome: ${outcome}`)
    }
  }
}
