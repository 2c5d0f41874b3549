import { DomainError } from '@flash-deal/kit'

/**
 * What can go wrong with a payment, as typed errors the order service's one error mapper turns
 * into problem+json. `retryable` says whether the same request may succeed later.
 */
export abstract class PaymentError extends DomainError {
  abstract readonly retryable: boolean
}

/** The card was refused; the order is still unpaid and may be paid with another method. */
export class PaymentDeclinedError extends PaymentError {
  readonly retryable = false
  constructor(
    readonly declineCode: string,
    readonly reference: string,
    message: string,
  ) {
    super(402, 'payment-declined', 'Payment declined', message, { declineCode })
  }
}

export class UnknownPaymentMethodError extends PaymentError {
  readonly retryable = false
  constructor(paymentMethod: string) {
    super(
      422,
      'unknown-payment-method',
      'Unknown payment method',
      `No such payment method: ${paymentMethod}`,
      {
        paymentMethod,
      },
    )
  }
}

/** More than the provider charges at once: this order cannot be paid as it stands. */
export class AmountNotPayableError extends PaymentError {
  readonly retryable = false
  constructor(detail: string) {
    super(422, 'amount-not-payable', 'Amount not payable', detail)
  }
}

/** The provider is down, overloaded or busy with the same payment: nothing was charged now. */
export class PaymentProviderUnavailableError extends PaymentError {
  readonly retryable = true
  constructor(detail: string, retryAfterSeconds = 2) {
    super(
      503,
      'payment-provider-unavailable',
      'Payment provider unavailable',
      detail,
      {},
      {
        'retry-after': String(retryAfterSeconds),
      },
    )
  }
}

/**
 * The provider did not answer in time. The outcome is UNKNOWN — the charge may have gone
 * through — so the order stays as it is until a retry with the same attempt, a retrieve or the
 * webhook says what happened.
 */
export class PaymentTimeoutError extends PaymentError {
  readonly retryable = true
  constructor(
    timeoutMs: number,
    /** The payment's reference when it was known before the call that timed out. */
    readonly reference?: string,
  ) {
    super(
      503,
      'payment-outcome-unknown',
      'Payment outcome unknown',
      `The payment provider did not answer in ${timeoutMs} ms; retry with the same Idempotency-Key`,
      {},
      { 'retry-after': '2' },
    )
  }
}

/** The same attempt was sent before with other parameters (another card, another amount). */
export class PaymentAttemptConflictError extends PaymentError {
  readonly retryable = false
  constructor(detail: string) {
    super(422, 'idempotency-key-reused', 'Idempotency key reused', detail)
  }
}

/** An answer the adapter did not expect (a bad API key, a bug): ours or the provider's fault. */
export class PaymentProviderError extends PaymentError {
  readonly retryable = false
  constructor(
    readonly providerStatus: number,
    readonly providerCode: string | undefined,
    detail: string,
  ) {
    super(502, 'payment-provider-error', 'Payment provider error', detail, {
      providerStatus,
      ...(providerCode ? { providerCode } : {}),
    })
  }
}
