import { purchaseRefused, type ReserveReply, reserveCall } from '@flash-deal/contracts'
import {
  type Logger,
  ServiceUnavailableError,
  type Span,
  SpanKind,
  type Telemetry,
  type TraceContext,
} from '@flash-deal/kit'
import { v7 as uuidv7 } from 'uuid'
import type { RedisPort } from '../redis/port'
import { type ReplicaWait, type ReserveRunner, reserveRunner } from './replica-wait'
import { outboxTraceparent } from './trace-context'

/** One purchase attempt as the route hands it to the reservation. */
export interface ReservationRequest {
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

const SCRIPT_SPAN = 'EVALSHA reserve'

type Refused = ReserveReply & { outcome: Exclude<ReserveReply['outcome'], 'accepted' | 'replayed'> }

/** What each refusal of `reserve.lua` is to the client (a problem+json via the kit). */
function refusal({ outcome, value }: Refused): Error {
  switch (outcome) {
    case 'deal_unavailable':
      return new ServiceUnavailableError('This deal is being restored; try again shortly', 1)
    case 'quantity_above_limit':
      return purchaseRefused('quantity-above-limit', { limit: value })
    case 'limit_reached':
      return purchaseRefused('limit-reached', { limit: value })
    case 'deal_not_found':
      return purchaseRefused('deal-not-found')
    case 'not_started':
      return purchaseRefused('not-started')
    case 'ended':
      return purchaseRefused('ended')
    case 'sold_out':
      return purchaseRefused('sold-out')
    case 'idempotency_key_reused':
      return purchaseRefused('idempotency-key-reused')
  }
}

/**
 * The async purchase (Phase 2): one call of `reserve.lua` — one round trip — decides and
 * reserves in Redis and appends the OrderAccepted record to the deal's outbox stream; the relay
 * and the consumer take it to Postgres later. If Redis cannot be asked, nothing is accepted
 * (503): fail closed.
 */
export class ReservationService {
  private readonly runReserve: ReserveRunner

  constructor(
    private readonly deps: {
      redis: RedisPort
      logger: Logger
      telemetry: Telemetry
      /** Replicas to wait for before a 202 (replica-wait.ts); none when absent. */
      replicaWait?: ReplicaWait
    },
  ) {
    this.runReserve = reserveRunner(deps.redis, deps.replicaWait)
  }

  async reserveStock(request: ReservationRequest): Promise<Reservation> {
    const reply = await this.deps.telemetry.withSpan(
      SCRIPT_SPAN,
      spanOptions(request.dealId),
      (span, reservation) => this.reserve(request, span, reservation),
    )
    if (reply.outcome === 'accepted') return { orderId: reply.orderId, replayed: false }
    if (reply.outcome === 'replayed') return { orderId: reply.orderId, replayed: true }
    throw refusal(reply as Refused)
  }

  private async reserve(
    request: ReservationRequest,
    span: Span,
    reservation: TraceContext,
  ): Promise<ReserveReply> {
    const { logger, telemetry } = this.deps
    const call = reserveCall({
      dealId: request.dealId,
      userId: request.userId,
      idempotencyKey: request.idempotencyKey,
      quantity: request.quantity,
      orderId: uuidv7(),
      // This span's context: the relay and the consumer continue the purchase from here.
      traceparent: outboxTraceparent(telemetry, reservation, request.headers),
    })
    let ran: Awaited<ReturnType<ReserveRunner>>
    try {
      ran = await this.runReserve(call)
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
    const reply = call.reply(ran.answer)
    span.setAttribute('flash_deal.purchase.outcome', reply.outcome)
    if (!ran.replicated && (reply.outcome === 'accepted' || reply.outcome === 'replayed')) {
      // Accepted on the primary only: a failover now could lose it, so it is no 202 yet.
      logger.warn('reservation not on a replica in time; answered 503', {
        dealId: request.dealId,
        orderId: reply.orderId,
      })
      span.setAttribute('flash_deal.purchase.replicated', false)
      throw new ServiceUnavailableError(
        'The purchase is not yet safe on a replica; retry with the same Idempotency-Key (it never buys twice)',
        1,
      )
    }
    return reply
  }
}

// No parent: the span is a child of the active context, the request's server span.
const spanOptions = (dealId: string) => ({
  kind: SpanKind.CLIENT,
  attributes: {
    'flash_deal.deal.id': dealId,
    // `db.system` is what service maps (SigNoz) key on; `db.system.name` is its stable name.
    'db.system': 'redis',
    'db.system.name': 'redis',
    'db.operation.name': SCRIPT_SPAN,
  },
})
