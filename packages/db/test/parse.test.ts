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

  test('marks sqlc.narg parameters nullable and leaves @ inside strings, identifiers and casts alone', () => {
    const [query] = parseQueryFile(`-- name: Odd :many
SELECT '@not_a_param' AS "@col", 'sqlc.arg(x)', note::text FROM t WHERE note = coalesce(sqlc.narg(note), note) -- trailing @x
`)
    expect(query?.params).toEqual([{ name: 'note', nullable: true }])
    expect(query?.text).toContain(`'@not_a_param' AS "@col", 'sqlc.arg(x)'`)
    expect(query?.text).toContain('coalesce($1, note)')
    expect(query?.text).not.toContain('@x')
  })

  test('sqlc.arg and @name name the same parameter; quoted names and reserved words work', () => {
    const [query] = parseQueryFile(`-- name: Page :many
SELECT id FROM t WHERE kind = sqlc.arg('window')::text AND owner = @owner_id
  AND (sqlc.narg(after)::uuid IS NULL OR id < sqlc.narg(after)::uuid)
  AND owner <> sqlc.arg(owner_id)
LIMIT sqlc.arg(limit);`)
    expect(query?.params).toEqual([
      { name: 'window', nullable: false },
      { name: 'ownerId', nullable: false },
      { name: 'after', nullable: true },
      { name: 'limit', nullable: false },
    ])
    expect(query?.text).toBe(
      'SELECT id FROM t WHERE kind = $1::text AND owner = $2\n  AND ($3::uuid IS NULL OR id < $3::uuid)\n  AND owner <> $2\nLIMIT $4',
    )
  })

  test('a column or function merely named like sqlc is left alone', () => {
    const [query] = parseQueryFile(`-- name: Names :many
SELECT t.sqlc_version, mysqlc.arg FROM t;`)
    expect(query?.params).toEqual([])
    expect(query?.text).toBe('SELECT t.sqlc_version, mysqlc.arg FROM t')
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
    ['-- name: Old :one\nSELECT coalesce(@note?, 1)', /not sqlc syntax; write sqlc.narg\(note\)/],
    ['-- name: Slice :many\nSELECT 1 WHERE id IN (sqlc.slice(ids))', /unsupported sqlc macro/],
  ])('rejects a malformed file: %#', (source, message) => {
    expect(() => parseQueryFile(source)).toThrow(message)
  })
})
