import { describe, expect, test } from 'bun:test'
import { parseQueryFile } from '../src/parse'

describe('parseQueryFile', () => {
  test('reads names, kinds and binds named parameters in order of first use', () => {
    const [query] = parseQueryFile(`
-- A comment about the query.
-- name: ReserveStock :execrows
UPDATE deals SET stock_remaining = stock_remaining - @quantity
WHERE id = @deal_id AND stock_remaining >= @quantity;
`)
    expect(query).toMatchObject({
      name: 'ReserveStock',
      functionName: 'reserveStock',
      kind: 'execrows',
      params: [
        { name: 'quantity', nullable: false },
        { name: 'dealId', nullable: false },
      ],
    })
    expect(query?.text).toBe(
      'UPDATE deals SET stock_remaining = stock_remaining - $1\nWHERE id = $2 AND stock_remaining >= $1',
    )
  })

  test('marks @name? parameters nullable and leaves @ inside strings, identifiers and casts alone', () => {
    const [query] = parseQueryFile(`-- name: Odd :many
SELECT '@not_a_param' AS "@col", note::text FROM t WHERE note = coalesce(@note?, note) -- trailing @x
`)
    expect(query?.params).toEqual([{ name: 'note', nullable: true }])
    expect(query?.text).toContain(`'@not_a_param' AS "@col"`)
    expect(query?.text).toContain('coalesce($1, note)')
    expect(query?.text).not.toContain('@x')
  })

  test('splits several queries', () => {
    const queries = parseQueryFile(`-- name: A :one
SELECT 1;
-- name: B :exec
SELECT 2;`)
    expect(queries.map((q) => [q.name, q.kind, q.text])).toEqual([
      ['A', 'one', 'SELECT 1'],
      ['B', 'exec', 'SELECT 2'],
    ])
  })

  test.each([
    ['-- name: lowercase :one\nSELECT 1', /malformed header/],
    ['-- name: Thing :maybe\nSELECT 1', /malformed header/],
    ['-- name: Empty :one\n', /has no SQL/],
    ['-- name: Twice :one\nSELECT 1;\n-- name: Twice :one\nSELECT 2;', /already defined on line 1/],
  ])('rejects a malformed file: %#', (source, message) => {
    expect(() => parseQueryFile(source)).toThrow(message)
  })
})
