/** The `uuid` format the kit puts back (a plain regular expression) still validates. */
import { expect, test } from 'bun:test'
import { createLogger, createServiceApp } from '@flash-deal/kit'
import { t } from 'elysia'

const app = createServiceApp({
  name: 'formats',
  version: '1',
  description: 'formats',
  logger: createLogger({ level: 'error' }),
}).get('/items/:id', ({ params }) => params.id, {
  params: t.Object({ id: t.String({ format: 'uuid' }) }),
})

test.each([
  ['0193a6f2-3b4c-7d5e-8f90-123456789abc', 200],
  ['0193A6F2-3B4C-7D5E-8F90-123456789ABC', 200],
  ['0193a6f2-3b4c-7d5e-8f90-123456789ab', 422],
  ['0193a6f2x3b4c-7d5e-8f90-123456789abc', 422],
  ['not-a-uuid', 422],
  ['0193a6f2-3b4c-7d5e-8f90-123456789abcd', 422],
])('%s → %d', async (id, status) => {
  expect((await app.handle(new Request(`http://localhost/items/${id}`))).status).toBe(status)
})
