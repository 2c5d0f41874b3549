import { readdirSync, readFileSync } from 'node:fs'
import queryFile from '../../../db/query.sql' with { type: 'text' }
import toolingFile from '../../../db/tooling.sql' with { type: 'text' }

/** The SQL sources, bundled as text so a compiled service carries them. */
export const querySource: string = queryFile
/** Statements only the tooling runs (the type generator); sqlc generates nothing for them. */
export const toolingSource: string = toolingFile

const migrationsDir = new URL('../../../db/migrations/', import.meta.url)

/**
 * The versioned migrations (db/migrations, applied by goose), in version order: the schema the
 * generated types are made from.
 */
export function migrationSources(): string[] {
  return readdirSync(migrationsDir)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => `-- ${name}\n${readFileSync(new URL(name, migrationsDir), 'utf8')}`)
}

/** Hash of the files: the generated types record it, so a stale generation is detectable. */
export function sourceHash(
  query = querySource,
  schema = migrationSources().join('\0'),
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
