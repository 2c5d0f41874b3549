/**
 * `make dev` seeds the dev admin from ADMIN_EMAIL / ADMIN_PASSWORD. No endpoint can make anyone
 * an admin, so this script (run with database access) is the only way one exists.
 */
import { connect, queries } from '@flash-deal/db'
import { databaseUrl, loadConfigOrExit } from '@flash-deal/kit'
import { Type as T } from '@sinclair/typebox'

const config = loadConfigOrExit(
  'seed-admin',
  T.Object({
    DATABASE_URL: databaseUrl,
    ADMIN_EMAIL: T.String({ pattern: '^[^@\\s]+@[^@\\s]+$', default: 'admin@flash-deal.local' }),
    ADMIN_PASSWORD: T.String({ minLength: 8, maxLength: 128, default: 'change-me-admin-1' }),
  }),
)

const sql = connect(config.DATABASE_URL, { max: 1, applicationName: 'seed-admin' })
try {
  const passwordHash = await Bun.password.hash(config.ADMIN_PASSWORD, { algorithm: 'argon2id' })
  const admin = await queries.upsertAdmin(sql, {
    email: config.ADMIN_EMAIL.trim().toLowerCase(),
    passwordHash,
  })
  console.log(`seed-admin: ${admin?.email} is an admin`)
} finally {
  await sql.end()
}
