import { BadRequestError } from '@flash-deal/kit'

/** The list cursor is opaque to clients: base64url of the last row's created-at and id. */
export const encodeCursor = (last: { createdAt: Date; id: string }) =>
  Buffer.from(`${last.createdAt.toISOString()}|${last.id}`).toString('base64url')

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|')
  const createdAt = new Date(at ?? '')
  if (!id || !UUID.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new BadRequestError('query.cursor is not a cursor this API gave out', [
      { field: 'query.cursor', message: 'is not a valid cursor' },
    ])
  }
  return { createdAt, id }
}
