import { BadRequestError, isInstant, ValidationError } from '@flash-deal/kit'

/** The list cursor is opaque to clients: base64url of the last row's created-at and id. */
export const encodeCursor = (last: { createdAt: Date; id: string }) =>
  Buffer.from(`${last.createdAt.toISOString()}|${last.id}`).toString('base64url')

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|')
  const createdAt = new Date(at ?? '')
  if (!id || !UUID.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new BadRequestError('query.cursor is not a cursor this API gave out', [
      { field: 'query.cursor', message: 'is not a valid cursor' },
    ])
  }
  // Well formed but holding an instant outside the API's range (`+275760-…`): Postgres cannot
  // compare with it, so it is refused here rather than failing the query.
  if (!isInstant(at ?? '')) {
    throw new ValidationError('query.cursor: holds an instant outside 1970–9999', [
      { field: 'query.cursor', message: 'holds an instant outside 1970–9999' },
    ])
  }
  return { createdAt, id: id.toLowerCase() }
}
