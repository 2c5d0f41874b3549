-- Statements only the tooling runs: the TypeScript type generator's catalog reads. Same dialect
-- as query.sql; kept apart because sqlc generates no code for them (no service calls them, and
-- sqlc's catalog does not model pg_type/pg_attribute). Migrations are goose's (db/migrations).

-- name: DescribeTypes :many
SELECT oid::int AS oid, typname::text AS typname, typelem::int AS typelem, typtype::text AS typtype
FROM pg_catalog.pg_type
WHERE oid = ANY (@oids::oid[]);

-- name: DescribeNotNullColumns :many
SELECT attrelid::int AS table_oid, attnum::int AS column_number
FROM pg_catalog.pg_attribute
WHERE attrelid = ANY (@tables::oid[]) AND attnum > 0 AND attnotnull;

-- What goose has applied (the migration tests compare it before and after a second run).
-- name: MigrationVersions :many
SELECT version_id, is_applied FROM goose_db_version ORDER BY id;
