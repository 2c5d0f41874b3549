/**
 * The test payment methods, by Stripe's names where Stripe has one. What confirming with each
 * one does; anything else is `resource_missing`, as Stripe answers for an unknown method.
 */
export type PaymentMethodOutcome =
  | { kind: 'succeeds' }
  | { kind: 'declined'; code: string; declineCode: string; message: string }
  /** The charge succeeds at once, but the answer comes later than any client waits. */
  | { kind: 'slow-answer' }

export const PAYMENT_METHODS: Readonly<Record<string, PaymentMethodOutcome>> = {
  pm_card_visa: { kind: 'succeeds' },
  pm_card_mastercard: { kind: 'succeeds' },
  pm_card_chargeDeclined: {
    kind: 'declined',
    code: 'card_declined',
    declineCode: 'generic_decline',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    kind: 'declined',
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  // The sandbox's own: the processor takes the money, the answer is lost on the way back.
  pm_card_timeout: { kind: 'slow-answer' },
}

export const paymentMethodOutcome = (id: string): PaymentMethodOutcome | undefined =>
  Object.hasOwn(PAYMENT_METHODS, id) ? PAYMENT_METHODS[id] : undefined
