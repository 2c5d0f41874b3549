-- Every SQL statement of flash-deal, sqlc style. `make db-gen` asks Postgres to describe each
-- one and writes packages/db/src/generated.ts; services call them as
-- `queries.getUserByEmail(sql, { email })`. Parameters are `@name` (`@name?` may be null).

-- ---------------------------------------------------------------------------------------------
-- Users

-- name: GetUserByEmail :one
SELECT id, email, password_hash, display_name, role, created_at
FROM users
WHERE email = @email;

-- name: GetUserById :one
SELECT id, email, display_name, role, created_at
FROM users
WHERE id = @id;

-- The dev admin is seeded from ADMIN_EMAIL / ADMIN_PASSWORD; re-seeding resets its password.
-- name: UpsertAdmin :one
INSERT INTO users (email, password_hash, display_name, role)
VALUES (@email, @password_hash, 'Admin', 'admin')
ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = 'admin'
RETURNING id, email, role;

-- ---------------------------------------------------------------------------------------------
-- Products

-- name: GetProduct :one
SELECT id, name, description, price, currency, created_at, updated_at
FROM products
WHERE id = @id;

-- ---------------------------------------------------------------------------------------------
-- Health and tooling: readiness probes, the migrator and the type generator.

-- name: Ping :one
SELECT 1::int AS ok;

-- Serialises concurrent migrations (two services starting at once) for the transaction.
-- name: LockMigrations :exec
SELECT pg_advisory_xact_lock(7424599);

-- name: RecordSchemaVersion :execrows
INSERT INTO schema_migrations (version) VALUES (@version)
ON CONFLICT (version) DO NOTHING;

-- name: DescribeTypes :many
SELECT oid::int AS oid, typname::text AS typname, typelem::int AS typelem, typtype::text AS typtype
FROM pg_type
WHERE oid = ANY (@oids::oid[]);

-- name: DescribeNotNullColumns :many
SELECT attrelid::int AS table_oid, attnum::int AS column_number
FROM pg_attribute
WHERE attrelid = ANY (@tables::oid[]) AND attnum > 0 AND attnotnull;
