-- Statements only the tooling runs: the TypeScript type generator's catalog reads and the
-- migrator's bookkeeping. Same dialect as query.sql; kept apart because sqlc generates no code
-- for them (no service calls them, and sqlc's catalog does not model pg_type/pg_attribute).

-- Serialises concurrent migrations (two services starting at once) for the transaction.
-- name: LockMigrations :exec
SELECT pg_advisory_xact_lock(7424599);

-- name: RecordSchemaVersion :execrows
INSERT INTO schema_migrations (version) VALUES (@version)
ON CONFLICT (version) DO NOTHING;

-- name: DescribeTypes :many
SELECT oid::int AS oid, typname::text AS typname, typelem::int AS typelem, typtype::text AS typtype
FROM pg_catalog.pg_type
WHERE oid = ANY (@oids::oid[]);

-- name: DescribeNotNullColumns :many
SELECT attrelid::int AS table_oid, attnum::int AS column_number
FROM pg_catalog.pg_attribute
WHERE attrelid = ANY (@tables::oid[]) AND attnum > 0 AND attnotnull;
