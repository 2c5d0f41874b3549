-- +goose Up
-- Checkout (issue 16): an accepted order holds its units for the deal's payment window, then is
-- paid, or expires / is cancelled and its units go back on sale exactly once.

-- The payment window of a deal, set when it is created (5 s to 1 h).
ALTER TABLE deals ADD COLUMN IF NOT EXISTS hold_seconds integer NOT NULL DEFAULT 600
  CHECK (hold_seconds BETWEEN 5 AND 3600);

-- pending (only ever in Redis) → confirmed (held) → paid | expired | cancelled; rejected as before.
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
  CHECK (status IN ('pending', 'confirmed', 'rejected', 'paid', 'expired', 'cancelled'));
ALTER TABLE orders ADD COLUMN IF NOT EXISTS paid_at timestamptz;
-- The provider's id of the payment (Stripe: the PaymentIntent), set with status 'paid'.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_reference text;
-- The Idempotency-Key of the payment request that paid it: its retry answers 200 again, any
-- other payment request 409.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_attempt text CHECK (length(payment_attempt) <= 64);
-- A charge that lost to an expiry or a cancellation is refunded; its refund's id.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS refund_reference text;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS released_at timestamptz;
-- The expiry job's scan: held orders, oldest first (payBy = accepted_at + the deal's hold).
CREATE INDEX IF NOT EXISTS orders_held_idx ON orders (accepted_at) WHERE status = 'confirmed';

-- The release outbox: written in the transaction that expires or cancels an order (with the
-- stock given back in Postgres), and marked applied once Redis has the units back. A row not
-- applied is a release Redis has not seen yet: the sweeper retries it, the reconciler counts it.
CREATE TABLE IF NOT EXISTS order_releases (
  order_id   uuid PRIMARY KEY REFERENCES orders (id),
  deal_id    uuid NOT NULL REFERENCES deals (id),
  user_id    uuid NOT NULL,
  quantity   integer NOT NULL CHECK (quantity > 0),
  reason     text NOT NULL CHECK (reason IN ('expired', 'cancelled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  applied_at timestamptz
);
CREATE INDEX IF NOT EXISTS order_releases_unapplied_idx
  ON order_releases (deal_id, created_at) WHERE applied_at IS NULL;

-- +goose Down
DROP TABLE IF EXISTS order_releases;
DROP INDEX IF EXISTS orders_held_idx;
ALTER TABLE orders DROP COLUMN IF EXISTS released_at, DROP COLUMN IF EXISTS refund_reference,
  DROP COLUMN IF EXISTS payment_reference, DROP COLUMN IF EXISTS payment_attempt, DROP COLUMN IF EXISTS paid_at;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
  CHECK (status IN ('pending', 'confirmed', 'rejected'));
ALTER TABLE deals DROP COLUMN IF EXISTS hold_seconds;
