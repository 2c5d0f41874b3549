/** What one reconciliation run reports, per deal and in all (GET /reconciliation). */

/**
 * - `in-sync`: nothing in flight, Redis stock equals Postgres `stock_remaining`.
 * - `settling`: reservations are still on their way (outbox backlog or consumer lag).
 * - `drift`: nothing in flight, and still the two disagree (reported, not guessed at).
 * - `restored`: Redis had lost the deal; it was rebuilt from Postgres now.
 * - `missing`: Redis lost the deal and orders are still in flight; restored once they land.
 */
export type DealHealth = 'in-sync' | 'settling' | 'drift' | 'restored' | 'missing'

export interface DealReconciliation {
  dealId: string
  health: DealHealth
  redisStock: number | null
  postgresRemaining: number
  /** Outbox entries not yet relayed to Kafka. */
  outboxBacklog: number
  /** Redis stock minus Postgres remaining (0 when in sync; meaningful only when settled). */
  drift: number | null
}

export interface ReconciliationReport {
  at: string
  /** Records of `orders.accepted` the consumer has not committed yet (all deals). */
  consumerLag: number
  deals: DealReconciliation[]
}
