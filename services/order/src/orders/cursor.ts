import { BadRequestError } from '@flash-deal/kit'

/** The list cursor is opaque to clients: base64url of the last order id of the page. */
export const encodeCursor = (lastId: string) => Buffer.from(lastId).toString('base64url')

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString()
  if (!UUID.test(id)) {
    throw new BadRequestError('query.cursor is not a cursor this API gave out', [
      { field: 'query.cursor', message: 'is not a valid cursor' },
    ])
  }
  return id
}
