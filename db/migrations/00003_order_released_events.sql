-- +goose Up
-- OrderReleased on Kafka (issue 16): a release row is published once Redis may have it; the
-- publisher marks it so. Unpublished rows are retried (at-least-once, readers dedupe by order id).
ALTER TABLE order_releases ADD COLUMN IF NOT EXISTS published_at timestamptz;
CREATE INDEX IF NOT EXISTS order_releases_unpublished_idx
  ON order_releases (created_at) WHERE published_at IS NULL;

-- +goose Down
DROP INDEX IF EXISTS order_releases_unpublished_idx;
ALTER TABLE order_releases DROP COLUMN IF EXISTS published_at;
