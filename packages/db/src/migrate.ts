/**
 * `make db-migrate`: applies db/schema.sql. The schema file is written to be re-runnable
 * (`CREATE ... IF NOT EXISTS`, additive `ALTER ... IF NOT EXISTS` for later changes), so applying
 * it is idempotent; it runs in one transaction under an advisory lock so two services starting
 * at once cannot interleave, and each distinct schema version is recorded in schema_migrations.
 */
import { connect, type Sql } from './client'
import { toolingQueries } from './queries'
import { schemaSource, schemaVersion } from './sources'

// Typed queries are built lazily from the file so the migrator works before db-gen has run.
const tooling = toolingQueries()

export async function migrate(sql: Sql): Promise<{ version: string; applied: boolean }> {
  const version = schemaVersion()
  return sql.begin(async (tx) => {
    await tooling.lockMigrations(tx)
    await tx.unsafe(schemaSource).simple()
    const recorded = await tooling.recordSchemaVersion(tx, { version })
    return { version, applied: recorded === 1 }
  }) as Promise<{ version: string; applied: boolean }>
}

if (import.meta.main) {
  const url = process.env.DATABASE_URL
  if (!url) {
    console.error('db-migrate: set DATABASE_URL')
    process.exit(2)
  }
  const sql = connect(url, { max: 1, applicationName: 'db-migrate' })
  try {
    const { version, applied } = await migrate(sql)
    console.log(`db-migrate: schema ${version} ${applied ? 'applied' : 'already current'}`)
  } catch (error) {
    console.error(`db-migrate: ${(error as Error).message}`)
    process.exitCode = 1
  } finally {
    await sql.end()
  }
}
