import { bearerAuth, bearerSecurity, ProblemSchema } from '@flash-deal/kit'
import type { TokenVerifier } from '@flash-deal/kit/jwt'
import { Elysia, t } from 'elysia'
import type { Reconciler } from './reconciler'

const DealReconciliation = t.Object({
  dealId: t.String({ format: 'uuid' }),
  health: t.UnionEnum(['in-sync', 'settling', 'drift', 'restored', 'missing']),
  redisStock: t.Nullable(t.Integer()),
  postgresRemaining: t.Integer(),
  outboxBacklog: t.Integer(),
  drift: t.Nullable(t.Integer()),
})

const ReconciliationReport = t.Object({
  at: t.String({ format: 'date-time' }),
  consumerLag: t.Integer(),
  deals: t.Array(DealReconciliation),
})

/** `GET /reconciliation`: Redis against Postgres for every live or recently ended deal, now. */
export function reconciliationController(reconciler: Reconciler, verifier: TokenVerifier) {
  return new Elysia({ name: 'reconciliation' })
    .use(bearerAuth(verifier))
    .get('/reconciliation', () => reconciler.reconcile(), {
      auth: 'admin',
      response: {
        200: ReconciliationReport,
        401: ProblemSchema,
        403: ProblemSchema,
        503: ProblemSchema,
      },
      detail: {
        tags: ['reconciliation'],
        summary: 'Drift between Redis and Postgres, per deal (admin)',
        description:
          'Runs the reconciler now. A deal is judged only when nothing is in flight (empty outbox, no consumer lag); a deal Redis lost is restored from Postgres.',
        security: bearerSecurity,
      },
    })
}
