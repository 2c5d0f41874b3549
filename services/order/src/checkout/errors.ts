import { ConflictError, DomainError } from '@flash-deal/kit'

/** The refusals of checkout, each its own problem type (urn:flash-deal:problem:<slug>). */
export const checkoutErrors = {
  alreadyPaid: (id: string) =>
    new ConflictError('order-already-paid', 'Order already paid', `Order ${id} is paid`),
  expired: (id: string) =>
    new ConflictError(
      'order-expired',
      'Order expired',
      `Order ${id} was not paid by its payBy; its units are back on sale`,
    ),
  cancelled: (id: string) =>
    new ConflictError('order-cancelled', 'Order cancelled', `Order ${id} was cancelled`),
  rejected: (id: string) =>
    new ConflictError(
      'order-rejected',
      'Order rejected',
      `Order ${id} was rejected: nothing is held for it`,
    ),
  stillArriving: (id: string) =>
    new DomainError(
      503,
      'order-still-arriving',
      'Order not recorded yet',
      `Order ${id} is accepted but not recorded yet; retry shortly`,
      {},
      { 'retry-after': '1' },
    ),
}

/** The refusal for an order in a final status other than the one the caller may act on. */
export function refusalFor(id: string, status: string): DomainError | null {
  if (status === 'paid') return checkoutErrors.alreadyPaid(id)
  if (status === 'expired') return checkoutErrors.expired(id)
  if (status === 'cancelled') return checkoutErrors.cancelled(id)
  if (status === 'rejected') return checkoutErrors.rejected(id)
  return null
}
