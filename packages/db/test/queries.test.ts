/** Integration: the typed wrapper against the real Postgres of `make test`. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { testEnv, uniqueSuffix } from '@flash-deal/testing'
import { connect, type Sql } from '../src/client'
import { GENERATED_PATH, generate } from '../src/generate'
import {
  createQueries,
  generatedTypesAreFresh,
  queries,
  toolingQueries,
  UnknownQueryError,
} from '../src/queries'
import { querySource } from '../src/sources'

let sql: Sql

// The migrator is goose (scripts/db-migrate.sh), run on the database under test.
const gooseOn = (url: string, ...command: string[]) => {
  const run = Bun.spawnSync(['bash', 'scripts/db-migrate.sh', ...command], {
    cwd: new URL('../../..', import.meta.url).pathname,
    env: { ...process.env, DATABASE_URL: url },
  })
  return { code: run.exitCode, output: `${run.stdout}${run.stderr}` }
}

beforeAll(async () => {
  sql = connect(testEnv.databaseUrl, { max: 2, applicationName: 'db-test' })
  expect(gooseOn(testEnv.databaseUrl).code).toBe(0)
})

afterAll(() => sql.end())

describe('typed queries on real Postgres', () => {
  test('migrating again changes nothing', async () => {
    const versions = () => toolingQueries().migrationVersions(sql)
    const before = await versions()
    const again = gooseOn(testEnv.databaseUrl)
    expect(again.code).toBe(0)
    expect(again.output).toContain('no migrations to run')
    expect(await versions()).toEqual(before)
  })

  test('a :one query returns a typed row with camelCased columns, or null', async () => {
    const email = `typed-${uniqueSuffix()}@example.test`
    const created = await queries.upsertAdmin(sql, { email, passwordHash: 'not-a-real-hash' })
    expect(created?.role).toBe('admin')
    const user = await queries.getUserByEmail(sql, { email })
    expect(user?.passwordHash).toBe('not-a-real-hash')
    expect(user?.createdAt).toBeInstanceOf(Date)
    expect(await queries.getUserByEmail(sql, { email: `missing-${email}` })).toBeNull()
  })

  test('queries run inside a transaction and roll back with it', async () => {
    const email = `rollback-${uniqueSuffix()}@example.test`
    await expect(
      sql.begin(async (tx) => {
        await queries.upsertAdmin(tx, { email, passwordHash: 'x' })
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    expect(await queries.getUserByEmail(sql, { email })).toBeNull()
  })

  test('the schema refuses what the product must never store', async () => {
    const email = `UPPER-${uniqueSuffix()}@Example.test`
    await expect(queries.upsertAdmin(sql, { email, passwordHash: 'x' })).rejects.toThrow(
      /check constraint/,
    )
  })

  test('a name that is not in query.sql fails loudly', () => {
    const untyped = queries as unknown as Record<string, unknown>
    expect(() => untyped.getNothing).toThrow(UnknownQueryError)
  })

  test('a missing parameter is an error, not a silent NULL', async () => {
    const untyped = queries.getUserByEmail as unknown as (
      db: Sql,
      params: object,
    ) => Promise<unknown>
    await expect(untyped(sql, {})).rejects.toThrow(/missing parameter "email"/)
  })
})

describe('generated types', () => {
  test('generated.ts was made from the current db/query.sql and db/migrations', () => {
    expect(generatedTypesAreFresh()).toBe(true)
  })

  test('regenerating from Postgres gives exactly the committed file', async () => {
    const committed = await Bun.file(GENERATED_PATH).text()
    expect(await generate(sql)).toBe(committed)
  })

  test('a changed query changes the generated types (so a stale file is caught)', async () => {
    const changed = querySource.replace(
      'SELECT id, email, display_name, role, created_at\nFROM users\nWHERE id = @id',
      'SELECT id, email, role\nFROM users\nWHERE id = @id',
    )
    expect(changed).not.toBe(querySource)
    const regenerated = await generate(sql, changed, 'changed')
    expect(regenerated).not.toBe(await Bun.file(GENERATED_PATH).text())
    expect(regenerated).toContain('row: { id: string; email: string; role: string }')
  })

  test('a query Postgres cannot describe names itself and its line', async () => {
    const broken = `${querySource}\n-- name: Broken :one\nSELECT nope FROM nowhere;\n`
    await expect(generate(sql, broken, 'x')).rejects.toThrow(
      /db\/query.sql:\d+ Broken: relation "nowhere" does not exist/,
    )
  })

  test('createQueries builds functions from any query text', async () => {
    const custom = createQueries('-- name: Add :one\nSELECT (@a::int + @b::int) AS sum;')
    const add = (custom as unknown as { add: (db: Sql, p: object) => Promise<{ sum: number }> }).add
    expect((await add(sql, { a: 2, b: 3 })).sum).toBe(5)
  })
})
