/** Postgres statement spans of the auth service, on real Postgres. */
import { afterAll, expect, test } from 'bun:test'
import { recordingTelemetry } from '@flash-deal/testing'
import { authApp, call, newEmail } from './support'

const { telemetry, spans } = recordingTelemetry('auth')
const auth = await authApp({ telemetry })
afterAll(() => auth.close())

test("login: GetUserByEmail and InsertRefreshToken are spans under the request's span", async () => {
  const email = newEmail()
  const password = 'correct horse battery'
  expect(
    (await call(auth.app, 'POST', '/v1/auth/signup', { body: { email, password } })).status,
  ).toBe(201)
  const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736'
  const login = await call(auth.app, 'POST', '/v1/auth/login', {
    body: { email, password },
    headers: { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` },
  })
  expect(login.status).toBe(200)

  const finished = await spans()
  const server = finished.find(
    (span) => span.name === 'POST /v1/auth/login' && span.spanContext().traceId === callerTrace,
  )
  const statements = finished
    .filter((span) => span.parentSpanContext?.spanId === server?.spanContext().spanId)
    .map((span) => [span.name, span.attributes['db.operation.name']])
  expect(statements).toEqual([
    ['GetUserByEmail', 'SELECT'],
    ['InsertRefreshToken', 'INSERT'],
  ])
})
