/** `/health/ready`: every dependency's check, bounded in time, reported by name. */
import { Elysia, t } from 'elysia'
import { withDeadline } from './deadline'

/** What `/health/live` answers. */
export const LivenessSchema = t.Object({ status: t.Literal('ok') }, { additionalProperties: false })

/** What `/health/ready` answers, 200 (all up) or 503 (naming the dependencies that are down). */
export const ReadinessSchema = t.Object(
  {
    status: t.Union([t.Literal('ok'), t.Literal('unavailable')]),
    down: t.Array(t.String()),
    checks: t.Record(t.String(), t.String()),
  },
  { additionalProperties: false },
)

/** A readiness check resolves when its dependency answers and throws (or times out) otherwise. */
export type ReadinessCheck = () => Promise<unknown>

/** The handler of `/health/ready`: 200 when every check answers in time, 503 naming the others. */
export function readinessHandler(readiness: Record<string, ReadinessCheck>, timeoutMs: number) {
  return async ({ set }: { set: { status?: number | string } }) => {
    const results = await Promise.all(
      Object.entries(readiness).map(async ([name, check]) => {
        try {
          await withDeadline(check(), timeoutMs, name)
          return [name, 'ok'] as const
        } catch (error) {
          return [name, `down: ${error instanceof Error ? error.message : String(error)}`] as const
        }
      }),
    )
    const checks = Object.fromEntries(results)
    const down = results.filter(([, state]) => state !== 'ok').map(([name]) => name)
    if (down.length > 0) {
      set.status = 503
      return { status: 'unavailable' as const, down, checks }
    }
    return { status: 'ok' as const, down, checks }
  }
}

/** GET /health/live and GET /health/ready (503 naming what did not answer), for every service. */
export function healthRoutes(readiness: Record<string, ReadinessCheck>, timeoutMs: number) {
  return new Elysia({ name: 'health' })
    .get('/health/live', () => ({ status: 'ok' as const }), {
      response: { 200: LivenessSchema },
      detail: { tags: ['health'], summary: 'Liveness: the process is up' },
    })
    .get('/health/ready', readinessHandler(readiness, timeoutMs), {
      response: { 200: ReadinessSchema, 503: ReadinessSchema },
      detail: { tags: ['health'], summary: 'Readiness: every dependency answers' },
    })
}
