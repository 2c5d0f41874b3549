import { DomainError, type Meter } from '@flash-deal/kit'

/** How a purchase attempt ended, as `flash_deal.purchase.outcomes` counts it. */
export type PurchaseOutcome =
  | 'accepted'
  | 'replayed'
  | 'sold_out'
  | 'limit_reached'
  | 'not_live'
  | 'rate_limited'
  | 'unavailable'
  | 'rejected_input'
  | 'failed'

/** The purchase outcome counter: the sale's funnel (accepted vs sold out vs throttled...). */
export function purchaseOutcomeCounter(meter: Meter) {
  const counter = meter.createCounter('flash_deal.purchase.outcomes', {
    description: 'Purchase attempts by how they ended',
    unit: '{purchase}',
  })
  return (outcome: PurchaseOutcome) => counter.add(1, { outcome })
}

/** The outcome of a refusal, from its status and problem slug (same in async and sync mode). */
export function refusalOutcome(status: number, slug: string | undefined): PurchaseOutcome {
  if (slug === 'sold-out') return 'sold_out'
  if (slug === 'purchase-limit-reached') return 'limit_reached'
  if (slug === 'deal-not-live') return 'not_live'
  if (status === 429) return 'rate_limited'
  if (status === 503) return 'unavailable'
  if (status >= 400 && status < 500) return 'rejected_input'
  return 'failed'
}

export const errorOutcome = (error: unknown): PurchaseOutcome =>
  error instanceof DomainError ? refusalOutcome(error.status, error.slug) : 'failed'

/** The outcome of the order service's answer (sync mode): its status and problem type. */
export async function responseOutcome(response: Response): Promise<PurchaseOutcome> {
  if (response.ok)
    return response.headers.get('idempotent-replayed') === 'true' ? 'replayed' : 'accepted'
  const problem = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { type?: unknown } | undefined
  const slug = typeof problem?.type === 'string' ? problem.type.split(':').pop() : undefined
  return refusalOutcome(response.status, slug)
}
