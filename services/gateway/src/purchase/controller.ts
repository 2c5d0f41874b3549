import {
  idempotencyKeyOf,
  idempotencyKeyParameter,
  PurchaseAccepted,
  PurchaseBody,
  PurchaseParams,
} from '@flash-deal/contracts'
import { bearerAuth, bearerSecurity, ProblemSchema } from '@flash-deal/kit'
import type { TokenVerifier } from '@flash-deal/kit/jwt'
import { Elysia } from 'elysia'
import { errorOutcome, type PurchaseOutcome, responseOutcome } from './outcomes'
import type { PurchaseRateLimiter } from './rate-limit'
import type { ReservationService } from './service'

export type OrderMode = 'async' | 'sync'

/** What Elysia hands a handler as `server` (null where the runtime has no server object). */
export type ServerInfo = { requestIP(request: Request): { address: string } | null } | null

/** The client's address as this runtime knows it; undefined when it cannot tell. */
export type ClientAddress = (request: Request, server: ServerInfo) => string | undefined

/** Bun: the TCP peer of the connection. */
export const serverAddress: ClientAddress = (request, server) => server?.requestIP(request)?.address

export interface PurchaseDeps {
  verifier: TokenVerifier
  mode: OrderMode
  /** The source of the per-address limit's key; the socket's peer when absent. */
  clientAddress?: ClientAddress
  /** Per user and per client address, before anything is reserved (429). */
  rateLimiter: Pick<PurchaseRateLimiter, 'check'>
  /** async: the Redis reservation. */
  reservations: Pick<ReservationService, 'reserveStock'>
  /** sync: hands the (validated) purchase to the order service and returns its answer. */
  forwardToOrder(
    request: Request,
    body: { quantity: number },
    context: { requestId: string; clientAddress?: string },
  ): Promise<Response>
  /** Counts how each attempt ended (`flash_deal.purchase.outcomes`). */
  recordOutcome(outcome: PurchaseOutcome): void
}

const problems = {
  400: ProblemSchema,
  401: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  422: ProblemSchema,
  429: ProblemSchema,
  503: ProblemSchema,
}

/**
 * `POST /v1/deals/{id}/purchase`, the hot path. The token is verified here (claims cached until
 * expiry), the attempt is rate limited, then either reserved in Redis (async, 202) or handed to
 * the order service's Postgres transaction (sync, 201). Same body, header and refusals in both.
 */
export function purchaseController(deps: PurchaseDeps) {
  return new Elysia({ name: 'purchase' }).use(bearerAuth(deps.verifier)).post(
    '/v1/deals/:id/purchase',
    async ({ params, body, request, user, set, server }) => {
      // Body and token are checked before this runs: those refusals are counted per route by
      // the kit's HTTP duration histogram (422, 401), not here.
      try {
        const idempotencyKey = idempotencyKeyOf(request.headers)
        const quantity = body?.quantity ?? 1
        const addressOf = () => (deps.clientAddress ?? serverAddress)(request, server)
        await deps.rateLimiter.check(user.sub, addressOf)
        if (deps.mode === 'sync') {
          // The kit has already put this request's id on the response; the order service gets it too.
          const requestId = String(set.headers['x-request-id'] ?? '')
          const response = await deps.forwardToOrder(
            request,
            { quantity },
            { requestId, clientAddress: addressOf() },
          )
          deps.recordOutcome(await responseOutcome(response))
          return response
        }

        const reservation = await deps.reservations.reserveStock({
          // UUIDs are accepted in any letter case; Redis keys are always lower case (§3).
          dealId: params.id.toLowerCase(),
          userId: user.sub,
          idempotencyKey,
          quantity,
          headers: request.headers,
        })
        deps.recordOutcome(reservation.replayed ? 'replayed' : 'accepted')
        set.status = 202
        set.headers.location = `/v1/orders/${reservation.orderId}`
        if (reservation.replayed) set.headers['idempotent-replayed'] = 'true'
        return { orderId: reservation.orderId, status: 'pending' as const }
      } catch (error) {
        deps.recordOutcome(errorOutcome(error))
        throw error
      }
    },
    {
      auth: 'user',
      params: PurchaseParams,
      body: PurchaseBody,
      response: { 201: PurchaseAccepted, 202: PurchaseAccepted, ...problems },
      detail: {
        tags: ['purchase'],
        summary: 'Buy units of a live deal',
        description:
          'async mode (default): stock is reserved in Redis and the order recorded in an outbox in one atomic step; answers 202 `pending`, the order is `confirmed` once in Postgres. sync mode: the order service decrements and inserts in one Postgres transaction; answers 201 `confirmed`. A retry with the same Idempotency-Key answers the first purchase again (header `Idempotent-Replayed: true`).',
        security: bearerSecurity,
        parameters: [idempotencyKeyParameter],
      },
    },
  )
}
