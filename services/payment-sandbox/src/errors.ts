import { DomainError } from '@flash-deal/kit'

/**
 * An error of Stripe's API, rendered as problem+json like every error of this project: the
 * problem `type` is `urn:flash-deal:problem:<code with dashes>`, and the members a Stripe client
 * switches on keep Stripe's names (`code`, `decline_code`, `param`, `payment_intent`).
 */
export class StripeError extends DomainError {
  constructor(
    status: number,
    readonly code: string,
    title: string,
    detail: string,
    extensions: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(status, code.replaceAll('_', '-'), title, detail, { code, ...extensions }, headers)
  }
}

export const resourceMissing = (param: string, detail: string) =>
  new StripeError(404, 'resource_missing', 'No such object', detail, { param })

export const unexpectedState = (detail: string, paymentIntent: unknown) =>
  new StripeError(400, 'payment_intent_unexpected_state', 'Unexpected state', detail, {
    payment_intent: paymentIntent,
  })

export class UnsupportedMediaTypeError extends DomainError {
  constructor() {
    super(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      'Send the body as application/json',
    )
  }
}
