/** The one rule for instants (decisions §3), behind every `format: date-time` schema. */
import { expect, test } from 'bun:test'
import { isInstant } from '@flash-deal/kit'

test.each([
  ['2030-03-01T10:00:00Z', true],
  ['2030-03-01T10:00:00.123456+02:00', true],
  ['2028-02-29T00:00:00-05:30', true],
  ['1970-01-01t00:00:00z', true],
  ['9999-12-31T23:59:59Z', true],
  ['0014-08-01T07:01:00+02:00', false],
  ['1969-12-31T23:59:59Z', false],
  ['2030-02-30T10:00:00Z', false],
  ['2029-02-29T10:00:00Z', false],
  ['2030-03-01', false],
  ['2030-03-01T10:00:00', false],
  ['2030-03-01T24:00:00Z', false],
  ['+275760-09-13T00:00:00.000Z', false],
  ['-271821-04-20T00:00:00.000Z', false],
  ['x2030-03-01T10:00:00Z', false],
])('%s → %p', (value, accepted) => {
  expect(isInstant(value)).toBe(accepted)
})
