import {
  AmountNotPayableError,
  PaymentAttemptConflictError,
  PaymentDeclinedError,
  PaymentProviderError,
  PaymentProviderUnavailableError,
  PaymentTimeoutError,
  UnknownPaymentMethodError,
} from './errors'
import type {
  ChargeRequest,
  Payment,
  PaymentProvider,
  PaymentWebhookEvent,
  RefundRequest,
  RefundResult,
  WebhookDelivery,
} from './port'
import { type PaymentIntentWire, type ProblemWire, toPayment } from './stripe-wire'
import { DEFAULT_TOLERANCE_SECONDS, verifyWebhook } from './webhook'

export interface SandboxProviderOptions {
  /** e.g. `http://127.0.0.1:8086`. */
  baseUrl: string
  /** The merchant's secret key (PAYMENT_API_KEY). */
  apiKey: string
  /** How long one call may take before it counts as timed out (its outcome unknown). */
  timeoutMs: number
  /** The webhook endpoint's secret (PAYMENT_WEBHOOK_SECRET); several during a rotation. */
  webhookSecrets: string | readonly string[]
  /** The replay window for webhooks (default 300 s). */
  webhookToleranceSeconds?: number
  fetch?: typeof fetch
}

/** The idempotency keys of one order's calls: one payment per order, one refund per order. */
export const idempotencyKeys = {
  payment: (orderId: string) => `flash-deal:order:${orderId}:payment`,
  confirm: (orderId: string, attempt: string) => `flash-deal:order:${orderId}:confirm:${attempt}`,
  refund: (orderId: string) => `flash-deal:order:${orderId}:refund`,
}

type Answer = { status: number; body: unknown }

/**
 * The payment provider port over HTTP to the sandbox, in Stripe's protocol shape (payment
 * intents, confirm, refunds, `Idempotency-Key`, bearer secret key). A Stripe adapter differs in
 * the base URL, the form-encoded bodies and Stripe's `{error: {...}}` envelope for failures.
 */
export class SandboxPaymentProvider implements PaymentProvider {
  private readonly fetch: typeof fetch

  constructor(private readonly options: SandboxProviderOptions) {
    this.fetch = options.fetch ?? fetch
  }

  async createAndConfirm(charge: ChargeRequest): Promise<Payment> {
    // One payment intent per order, whatever the attempt: the key makes every retry find it.
    const created = await this.call(
      'POST',
      '/v1/payment_intents',
      idempotencyKeys.payment(charge.orderId),
      {
        amount: charge.amount,
        currency: charge.currency.toLowerCase(),
        metadata: { orderId: charge.orderId },
      },
    )
    if (created.status !== 200) throw this.failure(created, charge.paymentMethod)
    const intent = created.body as PaymentIntentWire
    if (intent.status === 'succeeded' || intent.status === 'processing') return toPayment(intent)

    const confirmed = await this.call(
      'POST',
      `/v1/payment_intents/${intent.id}/confirm`,
      idempotencyKeys.confirm(charge.orderId, charge.attempt),
      { payment_method: charge.paymentMethod },
      intent.id,
    )
    if (confirmed.status === 200) return toPayment(confirmed.body as PaymentIntentWire)
    const problem = confirmed.body as ProblemWire
    // Another attempt charged it first: the order is paid, once; answer that payment.
    if (problem.code === 'payment_intent_unexpected_state' && problem.payment_intent) {
      return toPayment(problem.payment_intent)
    }
    // A decline may be the replay of an old attempt's answer while a later one has paid: the
    // payment as it is now decides.
    if (confirmed.status === 402) {
      const now = await this.retrieve(intent.id)
      if (now.status === 'succeeded') return now
    }
    throw this.failure(confirmed, charge.paymentMethod, intent.id)
  }

  async retrieve(reference: string): Promise<Payment> {
    const answer = await this.call('GET', `/v1/payment_intents/${encodeURIComponent(reference)}`)
    if (answer.status !== 200) throw this.failure(answer, '', reference)
    return toPayment(answer.body as PaymentIntentWire)
  }

  async refund(refund: RefundRequest): Promise<RefundResult> {
    const answer = await this.call('POST', '/v1/refunds', idempotencyKeys.refund(refund.orderId), {
      payment_intent: refund.reference,
      ...(refund.amount === undefined ? {} : { amount: refund.amount }),
      metadata: { orderId: refund.orderId },
    })
    if (answer.status !== 200) throw this.failure(answer, '', refund.reference)
    const body = answer.body as { id: string; payment_intent: string; amount: number }
    return { reference: body.id, paymentReference: body.payment_intent, amount: body.amount }
  }

  readWebhook(
    delivery: WebhookDelivery,
    nowSeconds = Math.floor(Date.now() / 1000),
  ): PaymentWebhookEvent {
    return verifyWebhook({
      payload: delivery.payload,
      signature: delivery.signature,
      secrets: this.options.webhookSecrets,
      nowSeconds,
      toleranceSeconds: this.options.webhookToleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
    })
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    idempotencyKey?: string,
    body?: unknown,
    reference?: string,
  ): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.apiKey}` }
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey
    if (body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await this.fetch(new URL(path, this.options.baseUrl), {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      })
      const text = await response.text()
      return { status: response.status, body: text ? JSON.parse(text) : undefined }
    } catch (error) {
      if (error instanceof DOMException && error.name === 'TimeoutError') {
        throw new PaymentTimeoutError(this.options.timeoutMs, reference)
      }
      if (error instanceof SyntaxError) {
        throw new PaymentProviderError(
          502,
          undefined,
          'The payment provider answered something that is not JSON',
        )
      }
      throw new PaymentProviderUnavailableError(
        `The payment provider is unreachable (${error instanceof Error ? error.message : String(error)})`,
      )
    }
  }

  private failure(answer: Answer, paymentMethod: string, reference?: string): Error {
    const problem = (answer.body ?? {}) as ProblemWire
    const detail = problem.detail ?? `The payment provider answered ${answer.status}`
    if (answer.status === 402) {
      return new PaymentDeclinedError(
        problem.decline_code ?? problem.code ?? 'declined',
        reference ?? '',
        detail,
      )
    }
    if (problem.code === 'resource_missing' && problem.param === 'payment_method') {
      return new UnknownPaymentMethodError(paymentMethod)
    }
    if (problem.code === 'idempotency_error') return new PaymentAttemptConflictError(detail)
    // Above the provider's largest charge (Stripe's amount_too_large; the sandbox's schema
    // refuses body.amount): the order cannot be paid as it is — a 422, not our 502.
    if (
      problem.code === 'amount_too_large' ||
      problem.errors?.some((e) => e.field === 'body.amount')
    )
      return new AmountNotPayableError(detail)
    // A request with the same key still running there, throttling, or the provider's outage.
    if (answer.status === 409 || answer.status === 429 || answer.status >= 500) {
      return new PaymentProviderUnavailableError(detail)
    }
    return new PaymentProviderError(answer.status, problem.code, detail)
  }
}
