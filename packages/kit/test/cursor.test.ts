import { expect, test } from 'bun:test'
import { listCursor } from '../src/cursor'
import { BadRequestError } from '../src/errors'

const byCreatedAt = listCursor({
  parts: (last: { createdAt: Date; id: string }) => [last.createdAt.toISOString(), last.id],
  read([at, id]) {
    const createdAt = new Date(at ?? '')
    return id && !Number.isNaN(createdAt.getTime()) ? { createdAt, id } : undefined
  },
})

test('a cursor reads back as the key it was made from, and is opaque base64url', () => {
  const key = { createdAt: new Date('2026-12-01T10:00:00.123Z'), id: 'a-1' }
  const cursor = byCreatedAt.encode(key)
  expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
  expect(Buffer.from(cursor, 'base64url').toString()).toBe('2026-12-01T10:00:00.123Z|a-1')
  expect(byCreatedAt.decode(cursor)).toEqual(key)
})

test.each(['', 'not base64 at all!', Buffer.from('yesterday|a-1').toString('base64url')])(
  'anything else is a 400 naming query.cursor: %p',
  (cursor) => {
    let error: unknown
    try {
      byCreatedAt.decode(cursor)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(BadRequestError)
    expect((error as BadRequestError).status).toBe(400)
    expect(JSON.stringify(error)).toContain('query.cursor')
  },
)
