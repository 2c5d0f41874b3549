/**
 * The payment provider port: what the order service needs from a card processor, and nothing of
 * any one provider's protocol. `sandbox-provider.ts` is the adapter for the local sandbox
 * (Stripe's protocol shape); a Stripe adapter implements the same interface.
 *
 * One order is charged at most once, by construction: each order has exactly one payment at the
 * provider (created under an idempotency key derived from the order id), and a payment that has
 * succeeded cannot be confirmed again. Retrying any call below with the same arguments is safe.
 */
export interface PaymentProvider {
  /**
   * Charges `amount` for the order with `paymentMethod`. Resolves with the payment when the
   * provider answered (status `succeeded`, or `processing` when the outcome comes by webhook);
   * an order that was already paid resolves with that payment, charging nothing more.
   * Throws `PaymentDeclinedError`, `UnknownPaymentMethodError`, `PaymentProviderUnavailableError`,
   * `PaymentTimeoutError` (the outcome is unknown: the charge may have happened — retry, retrieve
   * or wait for the webhook; never treat it as a failure), or `PaymentProviderError`.
   */
  createAndConfirm(charge: ChargeRequest): Promise<Payment>
  /** The payment as the provider has it now (after a timeout, or to reconcile). */
  retrieve(reference: string): Promise<Payment>
  /** Gives back the whole charge of an order (an expiry that lost the race to a payment). */
  refund(refund: RefundRequest): Promise<RefundResult>
  /**
   * Authenticates a webhook delivery (the provider's signature over the raw body, a replay
   * window) and reads it in the port's terms. Throws `WebhookVerificationError` (400) for a
   * forged, stale or malformed one: answer that and change nothing.
   */
  readWebhook(delivery: WebhookDelivery, nowSeconds?: number): PaymentWebhookEvent
}

export interface ChargeRequest {
  orderId: string
  /** Minor units. */
  amount: number
  /** ISO 4217, e.g. `EUR`. */
  currency: string
  /** The provider's payment method id, e.g. `pm_card_visa`. */
  paymentMethod: string
  /**
   * Names this attempt (e.g. the client's Idempotency-Key of the payment request): the same
   * attempt again replays its answer; a new attempt may try another card after a decline.
   */
  attempt: string
}

export type PaymentStatus =
  /** Charged. */
  | 'succeeded'
  /** Accepted by the provider; the outcome comes later (webhook). */
  | 'processing'
  /** Not charged (yet): no attempt, or the last one was declined. */
  | 'unpaid'
  | 'canceled'

export interface Payment {
  /** The provider's id of the payment (Stripe: the PaymentIntent id); kept on the paid order. */
  reference: string
  orderId: string
  amount: number
  currency: string
  status: PaymentStatus
  amountRefunded: number
  /** Why the last attempt was declined, if it was. */
  declineCode?: string
}

/** One refund per order (its idempotency key is the order's): a retry gives the same refund. */
export interface RefundRequest {
  orderId: string
  reference: string
  /** Minor units; the whole unrefunded amount when left out. */
  amount?: number
}

export interface RefundResult {
  /** The provider's id of the refund. */
  reference: string
  paymentReference: string
  amount: number
}

/** A webhook request as received: the raw body (never re-serialised) and the signature header. */
export interface WebhookDelivery {
  payload: string
  /** The `Stripe-Signature` header. */
  signature: string | null | undefined
}

/** A verified event, with the payment or refund it is about already in the port's terms. */
export interface PaymentWebhookEvent {
  /** The same for every delivery of one event: what makes applying it idempotent. */
  id: string
  /** e.g. `payment_intent.succeeded`, `payment_intent.payment_failed`, `refund.created`. */
  type: string
  /** When the provider created it (Unix seconds); deliveries may arrive out of this order. */
  created: number
  payment?: Payment
  refund?: RefundResult
}
