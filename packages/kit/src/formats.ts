/**
 * One rule for instants everywhere (decisions §3): an RFC 3339 date-time with an explicit
 * offset, a real calendar date, years 1970–9999. Elysia's own `date-time` check is unanchored
 * and lenient (date-only strings, `Feb 30`, year 0014 all passed, and years below 100 were then
 * remapped by `Date`), so the kit replaces it for every schema that says `format: date-time`.
 * No `node:` imports: the gateway on an edge runtime uses the same rule.
 */
import { FormatRegistry } from '@sinclair/typebox'

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/

const daysIn = (year: number, month: number) =>
  month === 2
    ? (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31

/** True for an instant this API accepts (see above). */
export function isInstant(value: string): boolean {
  const match = RFC3339.exec(value)
  if (!match) return false
  const [, y, mo, d, h, mi, s, , oh, om] = match.map(Number) as number[]
  const year = y as number
  const month = mo as number
  if (year < 1970 || month < 1 || month > 12) return false
  if ((d as number) < 1 || (d as number) > daysIn(year, month)) return false
  if ((h as number) > 23 || (mi as number) > 59 || (s as number) > 59) return false
  if (match[8] && ((oh as number) > 23 || (om as number) > 59)) return false
  return true
}

FormatRegistry.Set('date-time', isInstant)
