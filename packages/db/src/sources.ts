import queryFile from '../../../db/query.sql' with { type: 'text' }
import schemaFile from '../../../db/schema.sql' with { type: 'text' }
import toolingFile from '../../../db/tooling.sql' with { type: 'text' }

/** The SQL sources, bundled as text so a compiled service carries them. */
export const querySource: string = queryFile
/** Statements only the tooling runs (type generator, migrator); sqlc generates nothing for them. */
export const toolingSource: string = toolingFile
export const schemaSource: string = schemaFile

/** Hash of the files: the generated types record it, so a stale generation is detectable. */
export function sourceHash(
  query = querySource,
  schema = schemaSource,
  tooling = toolingSource,
): string {
  const hasher = new Bun.CryptoHasher('sha256')
  hasher.update(schema)
  hasher.update('\0')
  hasher.update(query)
  hasher.update('\0')
  hasher.update(tooling)
  return hasher.digest('hex').slice(0, 16)
}

/** Version recorded in schema_migrations for the current schema.sql. */
export function schemaVersion(schema = schemaSource): string {
  return new Bun.CryptoHasher('sha256').update(schema).digest('hex').slice(0, 16)
}
