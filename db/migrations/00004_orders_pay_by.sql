-- +goose Up
-- An order's payBy on its row (issue 16's expiry job): the deal's hold cannot change once the deal
-- has started, so payBy is fixed when the order is written. The expiry scan then reads only the
-- orders that are due, through an index on payBy, instead of walking every held order to compare
-- it with its deal's hold (which it did on every round, even with none due).
ALTER TABLE orders ADD COLUMN IF NOT EXISTS pay_by timestamptz;
UPDATE orders o SET pay_by = o.accepted_at + make_interval(secs => d.hold_seconds)
FROM deals d WHERE d.id = o.deal_id AND o.pay_by IS NULL;
ALTER TABLE orders ALTER COLUMN pay_by SET NOT NULL;
DROP INDEX IF EXISTS orders_held_idx;
CREATE INDEX IF NOT EXISTS orders_due_idx ON orders (pay_by) WHERE status = 'confirmed';

-- +goose Down
DROP INDEX IF EXISTS orders_due_idx;
CREATE INDEX IF NOT EXISTS orders_held_idx ON orders (accepted_at) WHERE status = 'confirmed';
ALTER TABLE orders DROP COLUMN IF EXISTS pay_by;
