-- +goose Up
-- Baseline: the schema as db/schema.sql had it before versioned migrations. Every statement is
-- guarded (IF NOT EXISTS, IF EXISTS), so a database created by the old re-runnable schema.sql
-- converges here too; goose records it as version 1 and later changes are new files.
--
-- The constraints carry the product's guarantees at the last line of defence: stock can never
-- go negative, an order id is written once, and one user's Idempotency-Key names one order.

-- The hash migrator's bookkeeping before goose (goose_db_version replaces it); kept so old
-- databases and new ones have the same tables.
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         text NOT NULL UNIQUE CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
  password_hash text NOT NULL,
  display_name  text CHECK (length(display_name) <= 100),
  role          text NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin')),
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Refresh tokens are stored as hashes. Each login starts a family; every refresh rotates the
-- token inside its family, and presenting a rotated token again revokes the whole family.
CREATE TABLE IF NOT EXISTS refresh_tokens (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  family_id   uuid NOT NULL,
  token_hash  text NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  rotated_at  timestamptz,
  revoked_at  timestamptz
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family_idx ON refresh_tokens (family_id);

CREATE TABLE IF NOT EXISTS products (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
  -- Money is an integer count of the currency's minor unit (cents for USD, won for KRW).
  price       integer NOT NULL CHECK (price >= 0),
  currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS products_created_idx ON products (created_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS deals (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  product_id      uuid NOT NULL REFERENCES products (id),
  price           integer NOT NULL CHECK (price >= 0),
  stock           integer NOT NULL CHECK (stock > 0),
  -- No oversell, enforced by Postgres whatever the code above it does.
  stock_remaining integer NOT NULL CHECK (stock_remaining >= 0 AND stock_remaining <= stock),
  per_user_limit  integer NOT NULL CHECK (per_user_limit >= 1 AND per_user_limit <= stock),
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
CREATE INDEX IF NOT EXISTS deals_window_idx ON deals (ends_at, starts_at);

-- The order id is made by whoever accepts the purchase (a UUIDv7 from the gateway), so a
-- redelivered OrderAccepted event inserts nothing the second time.
CREATE TABLE IF NOT EXISTS orders (
  id              uuid PRIMARY KEY,
  deal_id         uuid NOT NULL REFERENCES deals (id),
  user_id         uuid NOT NULL REFERENCES users (id),
  quantity        integer NOT NULL CHECK (quantity > 0),
  unit_price      integer NOT NULL CHECK (unit_price >= 0),
  status          text NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected')),
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 64),
  accepted_at     timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  confirmed_at    timestamptz,
  UNIQUE (user_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS orders_user_idx ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS orders_deal_user_idx ON orders (deal_id, user_id);

-- 2026-11: product list cursors carry created_at through a JS Date (milliseconds); a microsecond
-- remainder would make keyset pagination skip or repeat rows. Store milliseconds.
ALTER TABLE products ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now());
UPDATE products SET created_at = date_trunc('milliseconds', created_at)
WHERE created_at <> date_trunc('milliseconds', created_at);

-- 2026-11: an Idempotency-Key names one purchase of one deal: the Redis reservation sees only
-- that deal's keys (one hash slot), so the key is unique per (deal, user), not per user.
-- Orders are listed newest first by id (UUIDv7, time-ordered).
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_user_id_idempotency_key_key;
CREATE UNIQUE INDEX IF NOT EXISTS orders_deal_user_idempotency_idx
  ON orders (deal_id, user_id, idempotency_key);
DROP INDEX IF EXISTS orders_deal_user_idx;
DROP INDEX IF EXISTS orders_user_idx;
CREATE INDEX IF NOT EXISTS orders_user_id_idx ON orders (user_id, id DESC);

-- +goose Down
DROP TABLE IF EXISTS orders;
DROP TABLE IF EXISTS deals;
DROP TABLE IF EXISTS products;
DROP TABLE IF EXISTS refresh_tokens;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS schema_migrations;
