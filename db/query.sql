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

-- Sign-up. Returns no row when the email is taken (the UNIQUE constraint decides, not a
-- racy read before the insert).
-- name: CreateUser :one
INSERT INTO users (email, password_hash, display_name)
VALUES (@email, @password_hash, @display_name?)
ON CONFLICT (email) DO NOTHING
RETURNING id, email, display_name, role;

-- The dev admin is seeded from ADMIN_EMAIL / ADMIN_PASSWORD; re-seeding resets its password.
-- name: UpsertAdmin :one
INSERT INTO users (email, password_hash, display_name, role)
VALUES (@email, @password_hash, 'Admin', 'admin')
ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = 'admin'
RETURNING id, email, role;

-- ---------------------------------------------------------------------------------------------
-- Refresh tokens: stored as SHA-256 hashes, rotated on every use, revoked per family.

-- name: InsertRefreshToken :exec
INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
VALUES (@user_id, @family_id, @token_hash, @expires_at);

-- name: GetRefreshTokenByHash :one
SELECT t.id, t.user_id, t.family_id, t.expires_at, t.rotated_at, t.revoked_at, u.role
FROM refresh_tokens t
JOIN users u ON u.id = t.user_id
WHERE t.token_hash = @token_hash;

-- Marks a token used. Affects no row when it was already rotated or revoked, which is how
-- two concurrent refreshes with the same token are told apart: only one wins.
-- name: RotateRefreshToken :execrows
UPDATE refresh_tokens
SET rotated_at = now()
WHERE id = @id AND rotated_at IS NULL AND revoked_at IS NULL;

-- name: RevokeRefreshFamily :execrows
UPDATE refresh_tokens
SET revoked_at = now()
WHERE family_id = @family_id AND revoked_at IS NULL;

-- ---------------------------------------------------------------------------------------------
-- Products

-- name: GetProduct :one
SELECT id, name, description, price, currency, created_at, updated_at
FROM products
WHERE id = @id;

-- Keyset pagination, newest first: the cursor is the (created_at, id) of the last row seen.
-- name: ListProducts :many
SELECT id, name, description, price, currency, created_at, updated_at
FROM products
WHERE (@after_created_at?::timestamptz IS NULL OR (created_at, id) < (@after_created_at?, @after_id?::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @limit;

-- name: CreateProduct :one
INSERT INTO products (name, description, price, currency)
VALUES (@name, @description, @price, @currency)
RETURNING id, name, description, price, currency, created_at, updated_at;

-- A field left NULL keeps its value.
-- name: UpdateProduct :one
UPDATE products
SET name = coalesce(@name?, name),
    description = coalesce(@description?, description),
    price = coalesce(@price?::int, price),
    currency = coalesce(@currency?, currency),
    updated_at = now()
WHERE id = @id
RETURNING id, name, description, price, currency, created_at, updated_at;

-- ---------------------------------------------------------------------------------------------
-- Deals

-- name: CreateDeal :one
INSERT INTO deals (product_id, price, stock, stock_remaining, per_user_limit, starts_at, ends_at)
VALUES (@product_id, @price, @stock, @stock, @per_user_limit, @starts_at, @ends_at)
RETURNING id, product_id, price, stock, stock_remaining, per_user_limit, starts_at, ends_at, created_at;

-- name: GetDeal :one
SELECT id, product_id, price, stock, stock_remaining, per_user_limit, starts_at, ends_at, created_at
FROM deals
WHERE id = @id;

-- Only a deal that has not started can change; a NULL keeps the field. Before the start no
-- unit is sold, so the remaining stock is the (new) stock.
-- name: UpdateScheduledDeal :one
UPDATE deals
SET price = coalesce(@price?::int, price),
    stock = coalesce(@stock?::int, stock),
    stock_remaining = coalesce(@stock?::int, stock),
    per_user_limit = coalesce(@per_user_limit?::int, per_user_limit),
    starts_at = coalesce(@starts_at?::timestamptz, starts_at),
    ends_at = coalesce(@ends_at?::timestamptz, ends_at),
    updated_at = now()
WHERE id = @id AND starts_at > now()
RETURNING id, product_id, price, stock, stock_remaining, per_user_limit, starts_at, ends_at, created_at;

-- Deals that have not ended, soonest first (live ones before upcoming ones).
-- name: ListOpenDeals :many
SELECT id, product_id, price, stock, stock_remaining, per_user_limit, starts_at, ends_at, created_at
FROM deals
WHERE ends_at > now()
ORDER BY starts_at, id
LIMIT @limit;

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
