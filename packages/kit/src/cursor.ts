import { BadRequestError } from './errors'

/**
 * The cursor of a keyset-paginated list: the last row's sort key, opaque to clients (base64url
 * of its parts joined by `|`). Given out as `nextCursor`, taken back as `?cursor=`; anything
 * that does not read back as a key is a 400 that names `query.cursor`.
 */
export interface ListCursor<Key> {
  encode(last: Key): string
  decode(cursor: string): Key
}

export function listCursor<Key>(format: {
  /** The key's parts, none containing `|`. */
  parts(key: Key): readonly string[]
  /** The key from its parts; undefined when they are not a key this list gave out. */
  read(parts: readonly string[]): Key | undefined
}): ListCursor<Key> {
  return {
    encode: (last) => Buffer.from(format.parts(last).join('|')).toString('base64url'),
    decode(cursor) {
      const key = format.read(Buffer.from(cursor, 'base64url').toString().split('|'))
      if (key === undefined) {
        throw new BadRequestError('query.cursor is not a cursor this API gave out', [
          { field: 'query.cursor', message: 'is not a valid cursor' },
        ])
      }
      return key
    },
  }
}
