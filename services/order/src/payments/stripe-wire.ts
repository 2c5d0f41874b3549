import type { Payment, PaymentStatus } from './port'

/**
 * Stripe's wire shapes as far as this service reads them (the sandbox speaks the same), and
 * their translation into the port's terms. Shared by the HTTP adapter and the webhook reader.
 */
/** The fields of Stripe's PaymentIntent this adapter reads. */
export interface PaymentIntentWire {
  id: string
  amount: number
  currency: string
  status: string
  amount_refunded?: number
  metadata?: Record<string, string>
  last_payment_error?: { decline_code?: string } | null
}

export interface ProblemWire {
  code?: string
  decline_code?: string
  param?: string
  detail?: string
  payment_intent?: PaymentIntentWire
  /** The sandbox's schema refusals name the fields (problem+json `errors`). */
  errors?: { field: string }[]
}

export function toPayment(intent: PaymentIntentWire): Payment {
  const declineCode = intent.last_payment_error?.decline_code
  return {
    reference: intent.id,
    orderId: intent.metadata?.orderId ?? '',
    amount: intent.amount,
    currency: intent.currency.toUpperCase(),
    status: statusOf(intent.status),
    amountRefunded: intent.amount_refunded ?? 0,
    ...(declineCode ? { declineCode } : {}),
  }
}

function statusOf(status: string): PaymentStatus {
  if (status === 'succeeded' || status === 'processing' || status === 'canceled') return status
  return 'unpaid'
}
