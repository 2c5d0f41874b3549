/** Statement spans: what a traced query function records, and what an untraced one costs. */
import { expect, test } from 'bun:test'
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, telemetryOff } from '@flash-deal/kit'
import { recordingTelemetry } from '@flash-deal/testing'
import type { Db } from '../src/queries'
import { queries } from '../src/queries'
import { tracedQueries, untracedQueries } from '../src/tracing'

// A Db that answers without Postgres: the span, not the statement, is under test here.
const fakeDb = (rows: unknown[] = []): Db =>
  ({ unsafe: async () => Object.assign(rows, { count: rows.length }) }) as unknown as Db

test('tracing off: the plain query functions, nothing wrapped', () => {
  expect(tracedQueries(undefined)).toBe(untracedQueries)
  expect(tracedQueries(telemetryOff('db-test'))(ROOT_CONTEXT)).toBe(queries)
})

test('tracing on without a parent: the plain query functions (no orphan root spans)', () => {
  const { telemetry } = recordingTelemetry('db-test')
  expect(tracedQueries(telemetry)()).toBe(queries)
})

test('a statement is a CLIENT span under its parent, named by its query.sql name; failures fail it', async () => {
  const { telemetry, spans } = recordingTelemetry('db-test')
  const queriesFor = tracedQueries(telemetry, { databaseName: 'shop' })
  await telemetry.withSpan('request', {}, async (_span, request) => {
    await queriesFor(request).getUserById(fakeDb([{ id: 'u' }]), { id: 'u' })
    const broken = { unsafe: async () => Promise.reject(new Error('connection lost')) }
    await expect(
      queriesFor(request).revokeRefreshFamily(broken as unknown as Db, { familyId: 'f' }),
    ).rejects.toThrow('connection lost')
  })
  const finished = await spans()
  const request = finished.find((span) => span.name === 'request')
  const read = finished.find((span) => span.name === 'GetUserById')
  const revoke = finished.find((span) => span.name === 'RevokeRefreshFamily')
  expect(read?.kind).toBe(SpanKind.CLIENT)
  expect(read?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId)
  expect(read?.attributes).toMatchObject({
    'db.system.name': 'postgresql',
    'db.namespace': 'shop',
    'db.operation.name': 'SELECT',
    'db.query.summary': 'GetUserById',
  })
  expect(revoke?.attributes['db.operation.name']).toBe('UPDATE')
  expect(revoke?.status.code).toBe(SpanStatusCode.ERROR)
})
