-- Every SQL statement of flash-deal, in sqlc's own dialect, read by two generators (`make db-gen`):
-- sqlc writes the Go product service's package (services/product/go/internal/generated), and
-- packages/db asks Postgres to describe each statement and writes packages/db/src/generated.ts
-- (TypeScript services call `queries.getUserByEmail(sql, { email })`).
-- Parameters are `@name`, `sqlc.arg(name)` where the name is a reserved word, and
-- `sqlc.narg(name)` for one that may be null. Cast a parameter where Postgres alone cannot
-- tell its type (`@ids::uuid[]`); sqlc needs the same casts.

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
VALUES (@email, @password_hash, sqlc.narg(display_name))
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
WHERE (sqlc.narg(after_created_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(after_created_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg('limit');

-- name: CreateProduct :one
INSERT INTO products (name, description, price, currency)
VALUES (@name, @description, @price, @currency)
RETURNING id, name, description, price, currency, created_at, updated_at;

-- A field left NULL keeps its value.
-- name: UpdateProduct :one
UPDATE products
SET name = coalesce(sqlc.narg(name), name),
    description = coalesce(sqlc.narg(description), description),
    price = coalesce(sqlc.narg(price)::int, price),
    currency = coalesce(sqlc.narg(currency), currency),
    updated_at = now()
WHERE id = @id
RETURNING id, name, description, price, currency, created_at, updated_at;

-- ---------------------------------------------------------------------------------------------
-- Deals

-- name: CreateDeal :one
-- hold_seconds NULL takes the column's default (600 s, the migration's).
INSERT INTO deals (product_id, price, stock, stock_remaining, per_user_limit, starts_at, ends_at, hold_seconds)
VALUES (@product_id, @price, @stock, @stock, @per_user_limit, @starts_at, @ends_at,
        coalesce(sqlc.narg(hold_seconds)::int, 600))
RETURNING id, product_id, price, stock, stock_remaining, per_user_limit, starts_at, ends_at, created_at, hold_seconds;

-- name: GetDeal :one
SELECT id, product_id, price, stock, stock_remaining, per_user_limit, starts_at, ends_at, created_at, hold_seconds
FROM deals
WHERE id = @id;

-- Only a deal that has not started can change; a NULL keeps the field. Before the start no
-- unit is sold, so the remaining stock is the (new) stock.
-- name: UpdateScheduledDeal :one
UPDATE deals
SET price = coalesce(sqlc.narg(price)::int, price),
    stock = coalesce(sqlc.narg(stock)::int, stock),
    stock_remaining = coalesce(sqlc.narg(stock)::int, stock),
    per_user_limit = coalesce(sqlc.narg(per_user_limit)::int, per_user_limit),
    starts_at = coalesce(sqlc.narg(starts_at)::timestamptz, starts_at),
    ends_at = coalesce(sqlc.narg(ends_at)::timestamptz, ends_at),
    updated_at = now()
WHERE id = @id AND starts_at > now()
RETURNING id, product_id, price, stock, stock_remaining, per_user_limit, starts_at, ends_at, created_at, hold_seconds;

-- Deals that have not ended, soonest first: `open` all of them, `live` the started ones,
-- `upcoming` the others. Filtered here, before the LIMIT, so one kind never crowds out another.
-- name: ListOpenDeals :many
SELECT id, product_id, price, stock, stock_remaining, per_user_limit, starts_at, ends_at, created_at, hold_seconds
FROM deals
WHERE ends_at > now()
  AND (sqlc.arg('window')::text = 'open' OR (sqlc.arg('window')::text = 'live') = (starts_at <= now()))
ORDER BY starts_at, id
LIMIT sqlc.arg('limit');

-- ---------------------------------------------------------------------------------------------
-- Orders: reads

-- payBy is written with the order (accepted_at, Redis's clock at the reservation, plus the
-- deal's hold, which is fixed once the deal has started) and never changes.
-- name: GetOrder :one
SELECT o.id, o.deal_id, o.user_id, o.quantity, o.unit_price, o.status, o.accepted_at, o.created_at,
       o.confirmed_at, o.pay_by, o.payment_reference
FROM orders o
WHERE o.id = @id;

-- Deals whose sale window held an instant, give or take a margin: the deals an order accepted
-- then can belong to (the order service's look-up of an order not yet in Postgres).
-- name: ListDealsOpenAround :many
SELECT id, hold_seconds
FROM deals
WHERE starts_at <= @latest AND ends_at > @earliest;

-- Keyset pagination, newest first: order ids are UUIDv7, so id order is time order.
-- name: ListUserOrders :many
SELECT o.id, o.deal_id, o.user_id, o.quantity, o.unit_price, o.status, o.accepted_at, o.created_at,
       o.confirmed_at, o.pay_by, o.payment_reference
FROM orders o
WHERE o.user_id = @user_id AND (sqlc.narg(before_id)::uuid IS NULL OR o.id < sqlc.narg(before_id)::uuid)
ORDER BY o.id DESC
LIMIT sqlc.arg('limit');

-- ---------------------------------------------------------------------------------------------
-- Orders: the sync-mode purchase (Phase 1), one transaction per purchase

-- Serialises purchases of one user on one deal, so the per-user limit and the idempotency
-- check cannot both pass for two concurrent requests. Other buyers are not blocked by it.
-- name: LockDealBuyer :exec
SELECT pg_advisory_xact_lock(hashtextextended(@deal_id::text || '/' || @user_id::text, 0));

-- name: GetOrderByIdempotencyKey :one
SELECT id, deal_id, user_id, quantity, unit_price, status, accepted_at, created_at, confirmed_at
FROM orders
WHERE deal_id = @deal_id AND user_id = @user_id AND idempotency_key = @idempotency_key;

-- The deal as a purchase sees it, with the window judged by the database clock.
-- name: GetDealForPurchase :one
SELECT id, price, per_user_limit, stock_remaining,
       starts_at > now() AS not_started, ends_at <= now() AS ended
FROM deals
WHERE id = @id;

-- name: SumUserDealQuantity :one
SELECT coalesce(sum(quantity), 0)::int AS bought
FROM orders
WHERE deal_id = @deal_id AND user_id = @user_id AND status IN ('confirmed', 'paid');

-- The conditional decrement: no row when the stock does not cover the quantity, so two
-- concurrent buyers of the last unit cannot both succeed (the row lock orders them).
-- name: TakeDealStock :one
UPDATE deals
SET stock_remaining = stock_remaining - @quantity::int
WHERE id = @id AND stock_remaining >= @quantity::int
RETURNING stock_remaining;

-- name: InsertConfirmedOrder :one
INSERT INTO orders (id, deal_id, user_id, quantity, unit_price, status, idempotency_key, accepted_at, confirmed_at, pay_by)
SELECT @id, d.id, @user_id, @quantity, @unit_price, 'confirmed', @idempotency_key, now(), now(),
       now() + make_interval(secs => d.hold_seconds)
FROM deals d WHERE d.id = @deal_id
RETURNING id, deal_id, user_id, quantity, unit_price, status, accepted_at, created_at, confirmed_at;

-- ---------------------------------------------------------------------------------------------
-- Orders: the Kafka consumer (Phase 2), one transaction per batch

-- What Postgres has for a batch, in one round trip: its deals, locked in id order (no deadlock
-- between two consumers) with the stock they have left (kind `deal`), the users it names that
-- exist (`user`) and the orders of it already written (`order`, a redelivery).
-- name: LockBatchState :many
WITH locked AS (
  SELECT d.id, d.stock_remaining
  FROM deals d
  WHERE d.id = ANY (@deal_ids::uuid[])
  ORDER BY d.id
  FOR UPDATE
)
SELECT 'deal'::text AS kind, l.id, l.stock_remaining FROM locked l
UNION ALL
SELECT 'user'::text, u.id, NULL::int FROM users u WHERE u.id = ANY (@user_ids::uuid[])
UNION ALL
SELECT 'order'::text, o.id, NULL::int FROM orders o WHERE o.id = ANY (@order_ids::uuid[]);

-- Inserts a batch and takes the stock of what it inserted, in one statement: an order already
-- there (a redelivered event) is skipped, and only the rows inserted now come back and move their
-- deal's stock_remaining (the confirmed ones). The arrays are zipped by unnest calls side by side
-- in one select list (Postgres runs them in lockstep), not by the multi-argument
-- `unnest(a, b, ...)`, which sqlc's catalog does not know.
-- name: InsertOrders :many
WITH inserted AS (
  INSERT INTO orders (id, deal_id, user_id, quantity, unit_price, status, idempotency_key, accepted_at, confirmed_at, pay_by)
  SELECT o.id, o.deal_id, o.user_id, o.quantity, o.unit_price, o.status, o.idempotency_key, o.accepted_at,
         CASE WHEN o.status = 'confirmed' THEN now() END,
         o.accepted_at + make_interval(secs => d.hold_seconds)
  FROM (
    SELECT unnest(@ids::uuid[]) AS id, unnest(@deal_ids::uuid[]) AS deal_id,
           unnest(@user_ids::uuid[]) AS user_id, unnest(@quantities::int[]) AS quantity,
           unnest(@unit_prices::int[]) AS unit_price, unnest(@statuses::text[]) AS status,
           unnest(@idempotency_keys::text[]) AS idempotency_key,
           unnest(@accepted_ats::timestamptz[]) AS accepted_at
  ) AS o
  LEFT JOIN deals d ON d.id = o.deal_id -- no deal: pay_by NULL fails the batch, as its foreign key would
  ON CONFLICT DO NOTHING
  RETURNING id, deal_id, quantity, status
), taken AS (
  UPDATE deals AS d
  SET stock_remaining = d.stock_remaining - t.quantity
  FROM (
    SELECT i.deal_id, sum(i.quantity)::int AS quantity
    FROM inserted i
    WHERE i.status = 'confirmed'
    GROUP BY i.deal_id
  ) AS t
  WHERE d.id = t.deal_id
  RETURNING d.id
)
SELECT i.id FROM inserted i;

-- ---------------------------------------------------------------------------------------------
-- Orders: the reconciler

-- Deals whose Redis state matters: not ended, or ended within the grace period.
-- unapplied_releases: units released in Postgres that Redis has not been given back yet (checkout's
-- release outbox), so Redis stock + unapplied_releases = stock_remaining once settled.
-- name: ListReconcilableDeals :many
SELECT id, product_id, price, stock, stock_remaining, per_user_limit, starts_at, ends_at,
       (SELECT coalesce(sum(r.quantity), 0)::int FROM order_releases r
        WHERE r.deal_id = deals.id AND r.applied_at IS NULL) AS unapplied_releases
FROM deals
WHERE ends_at > now() - make_interval(secs => @grace_seconds::int)
ORDER BY starts_at, id;

-- name: ListDealBuyers :many
SELECT user_id, sum(quantity)::int AS quantity
FROM orders
WHERE deal_id = @deal_id AND status IN ('confirmed', 'paid')
GROUP BY user_id;

-- Every order of a deal (the end-to-end accounting of the system tests and the benchmark).
-- name: ListDealOrders :many
SELECT id, user_id, quantity, status
FROM orders
WHERE deal_id = @deal_id;

-- name: ListDealIdempotencyRecords :many
SELECT user_id, idempotency_key, id, quantity
FROM orders
WHERE deal_id = @deal_id;

-- ---------------------------------------------------------------------------------------------
-- Health

-- name: Ping :one
SELECT 1::int AS ok;

-- ---------------------------------------------------------------------------------------------
-- Benchmarks: the correctness check after `make bench-purchase` (services/order/src/cli/bench-check.ts)

-- What Postgres holds for one deal: every order row, and the confirmed ones with their units,
-- to compare with the purchases the load generator saw accepted and with the deal's stock.
-- name: DealOrderTotals :one
SELECT count(*)::int AS orders,
       count(*) FILTER (WHERE status = 'confirmed')::int AS confirmed,
       coalesce(sum(quantity) FILTER (WHERE status = 'confirmed'), 0)::int AS confirmed_quantity
FROM orders
WHERE deal_id = @deal_id;

-- ---------------------------------------------------------------------------------------------
-- Checkout: payment, cancellation, expiry and the release of held units (services/order/src/checkout)

-- The order as a payment or a cancellation decides on it, locked until the transaction ends.
-- name: LockOrderForCheckout :one
SELECT o.id, o.deal_id, o.user_id, o.quantity, o.unit_price, o.status, o.payment_reference,
       o.payment_attempt,
       o.pay_by, o.pay_by <= now() AS overdue,
       p.currency
FROM orders o JOIN deals d ON d.id = o.deal_id JOIN products p ON p.id = d.product_id
WHERE o.id = @id
FOR UPDATE OF o;

-- The one decision of a release, in one statement: the order leaves `confirmed` (an expiry only
-- once its payBy has passed by the database clock), its units go back to stock_remaining, and
-- the release outbox gets its row. No row back: the order was not held (paid, released, or not
-- yet due), and nothing changed.
-- name: ReleaseOrder :one
WITH released AS (
  UPDATE orders o
  SET status = @reason::text, released_at = now()
  WHERE o.id = @id AND o.status = 'confirmed'
    AND (@reason::text = 'cancelled' OR o.pay_by <= now())
  RETURNING o.id, o.deal_id, o.user_id, o.quantity
), given_back AS (
  UPDATE deals d
  SET stock_remaining = d.stock_remaining + r.quantity
  FROM released r
  WHERE d.id = r.deal_id
  RETURNING d.id
)
INSERT INTO order_releases (order_id, deal_id, user_id, quantity, reason)
SELECT r.id, r.deal_id, r.user_id, r.quantity, @reason::text
FROM released r
RETURNING order_id, deal_id, user_id, quantity;

-- Held orders past their payBy, oldest first; rows another expiry job holds are skipped, so
-- several instances share the work without waiting on each other.
-- name: LockExpiredOrders :many
SELECT o.id
FROM orders o
WHERE o.status = 'confirmed' AND o.pay_by <= now()
ORDER BY o.pay_by
LIMIT sqlc.arg('limit')
FOR UPDATE OF o SKIP LOCKED;

-- Paid only while still held and before payBy: the same row lock and clock as the expiry, so
-- a payment and an expiry of one order cannot both win.
-- name: MarkOrderPaid :one
UPDATE orders o
SET status = 'paid', paid_at = now(), payment_reference = @payment_reference,
    payment_attempt = coalesce(sqlc.narg(payment_attempt), o.payment_attempt)
WHERE o.id = @id AND o.status = 'confirmed' AND now() < o.pay_by
RETURNING o.id;

-- The attempt about to charge, remembered first: when its answer is lost and the webhook pays
-- the order (before or after the timeout), a retry of that attempt still answers 200.
-- name: SetPaymentAttempt :exec
UPDATE orders SET payment_attempt = @payment_attempt
WHERE id = @id AND (status = 'confirmed' OR (status = 'paid' AND payment_attempt IS NULL));

-- name: SetOrderRefund :exec
UPDATE orders SET refund_reference = @refund_reference WHERE id = @id;

-- Releases Redis has not been given yet, older than a moment (the releaser applies fresh ones
-- itself); locked so two sweepers never apply the same one at once.
-- name: LockUnappliedReleases :many
SELECT r.order_id, r.deal_id, r.user_id, r.quantity, d.ends_at <= now() AS deal_ended
FROM order_releases r JOIN deals d ON d.id = r.deal_id
WHERE r.applied_at IS NULL AND r.created_at <= now() - make_interval(secs => @min_age_seconds::int)
ORDER BY r.created_at
LIMIT sqlc.arg('limit')
FOR UPDATE OF r SKIP LOCKED;

-- name: MarkReleaseApplied :exec
UPDATE order_releases SET applied_at = now() WHERE order_id = @order_id AND applied_at IS NULL;

-- Releases not on Kafka yet, oldest first, locked so two publishers never send the same batch;
-- the lock is held while the batch is sent (a crash rolls back and the rows are sent again).
-- name: LockUnpublishedReleases :many
SELECT r.order_id, r.deal_id, r.user_id, r.quantity, r.reason, r.created_at
FROM order_releases r
WHERE r.published_at IS NULL
ORDER BY r.created_at
LIMIT sqlc.arg('limit')
FOR UPDATE OF r SKIP LOCKED;

-- name: MarkReleasesPublished :exec
UPDATE order_releases SET published_at = now()
WHERE order_id = ANY(@order_ids::uuid[]) AND published_at IS NULL;

-- The books of one deal after checkout: units held (confirmed) and paid, the orders in each
-- state, and the release outbox (rows, units, and rows Redis or Kafka has not had yet).
-- name: DealCheckoutTotals :one
SELECT count(*) FILTER (WHERE o.status = 'confirmed')::int AS held,
       coalesce(sum(o.quantity) FILTER (WHERE o.status = 'confirmed'), 0)::int AS held_quantity,
       count(*) FILTER (WHERE o.status = 'paid')::int AS paid,
       coalesce(sum(o.quantity) FILTER (WHERE o.status = 'paid'), 0)::int AS paid_quantity,
       count(*) FILTER (WHERE o.status IN ('expired', 'cancelled'))::int AS released,
       (SELECT count(*)::int FROM order_releases r WHERE r.deal_id = @deal_id) AS release_rows,
       (SELECT coalesce(sum(r.quantity), 0)::int FROM order_releases r
        WHERE r.deal_id = @deal_id) AS release_quantity,
       (SELECT count(*)::int FROM order_releases r
        WHERE r.deal_id = @deal_id AND r.applied_at IS NULL) AS unapplied,
       (SELECT count(*)::int FROM order_releases r
        WHERE r.deal_id = @deal_id AND r.published_at IS NULL) AS unpublished
FROM orders o
WHERE o.deal_id = @deal_id;

-- The paid orders of one deal with what each was charged for (the bench's check asks the
-- provider about each payment).
-- name: ListDealPaidOrders :many
SELECT id, quantity * unit_price AS total, payment_reference, refund_reference
FROM orders
WHERE deal_id = @deal_id AND status = 'paid';

-- The most units any one buyer of the deal holds or has paid for (the per-user limit's count).
-- name: DealTopBuyerUnits :one
SELECT coalesce(max(units), 0)::int AS units
FROM (SELECT sum(quantity) AS units FROM orders
      WHERE deal_id = @deal_id AND status IN ('confirmed', 'paid')
      GROUP BY user_id) per_buyer;

-- What Redis's stock of a deal must be rebuilt to: Postgres remaining minus the releases Redis
-- has not applied yet (they are added when they are applied), read in one snapshot.
-- name: GetDealRedisStock :one
SELECT d.stock_remaining - (SELECT coalesce(sum(r.quantity), 0)::int FROM order_releases r
                            WHERE r.deal_id = d.id AND r.applied_at IS NULL) AS redis_stock
FROM deals d
WHERE d.id = @id;
