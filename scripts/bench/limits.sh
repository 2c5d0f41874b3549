#!/usr/bin/env bash
# The two limits the purchase paths sit on, measured on this box with the servers' own tools
# (DESIGN.md, performance protocol), so that `make bench-purchase` can say how close each path
# comes to its store's ceiling:
#   redis     `redis-benchmark` calling reserve.lua by EVALSHA (what the async path runs per
#             purchase), 32 connections, 16 commands pipelined per connection, on a scratch
#             deal whose keys are deleted afterwards (its outbox is never relayed)
#   postgres  `pgbench` running the sync path's conditional decrement on one hot deal row,
#             32 clients, on a scratch deal (ended long ago, deleted afterwards)
#   inserts   the baseline of the Kafka consumer: `pgbench`, one connection, each transaction
#             inserting 500 orders (time-ordered ids, like UUIDv7) and taking their stock, on
#             the same scratch deal
# Writes {"redisReservePerSecond", "postgresHotRowPerSecond", "postgresBatchInsertRowsPerSecond"}
# to argv[1].
#
#   REDIS_URL=redis://127.0.0.1:6379 DATABASE_URL=postgres://... \
#     bash scripts/bench/limits.sh .state/bench/limits.json
# Environment: LIMIT_SECONDS (10: how long pgbench runs), LIMIT_REDIS_CALLS (300000).
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${1:?usage: limits.sh <output.json>}
seconds="${LIMIT_SECONDS:-10}"
redis_calls="${LIMIT_REDIS_CALLS:-300000}"

# redis://[user:password@]host:port[/db] -> host and port for redis-benchmark.
hostport=${REDIS_URL#redis://}
hostport=${hostport#*@}
hostport=${hostport%%/*}
redis_host=${hostport%:*}
redis_port=${hostport##*:}
redis_cli() { redis-cli -h "$redis_host" -p "$redis_port" "$@"; }

deal="bench-limit-$(date +%s)-$$"
# reserve.lua's six keys, in its order (KEYS[6], the orders hash: without it every call failed
# half-way, after the reservation, and the figure was that of a failing script).
keys=("deal:{$deal}:stock" "deal:{$deal}:info" "deal:{$deal}:buyers" "deal:{$deal}:idempotency"
  "deal:{$deal}:outbox" "deal:{$deal}:orders")
scratch_deal=""
scripts=()
cleanup() {
  redis_cli DEL "${keys[@]}" >/dev/null 2>&1 || true
  [[ -n "$scratch_deal" ]] && psql "$DATABASE_URL" -qAt >/dev/null 2>&1 <<SQL
DELETE FROM orders WHERE deal_id = '$scratch_deal';
DELETE FROM deals WHERE id = '$scratch_deal';
SQL
  rm -f "${scripts[@]}"
  return 0
}
trap cleanup EXIT

# --- Redis: reserve.lua, as the gateway calls it (same keys, same arguments).
now_ms=$(($(date +%s) * 1000))
redis_cli HSET "${keys[1]}" price 19900 perUserLimit 1000000000 startsAt 0 \
  endsAt $((now_ms + 3600000)) >/dev/null
redis_cli SET "${keys[0]}" 1000000000 >/dev/null
sha=$(redis_cli SCRIPT LOAD "$(cat packages/contracts/lua/reserve.lua)")
# Every call a new buyer, key and order id (__rand_int__ is a fresh random number each time).
rps=$(redis-benchmark -h "$redis_host" -p "$redis_port" -c 32 -P 16 -n "$redis_calls" \
  -r 1000000000 --csv \
  EVALSHA "$sha" "${#keys[@]}" "${keys[@]}" user-__rand_int__ key-__rand_int__ 1 order-__rand_int__ \
  "$deal" "" | tail -n 1 | cut -d, -f2 | tr -d '"')
accepted=$(redis_cli XLEN "${keys[4]}")
echo "limits: redis reserve.lua ${rps%.*}/s (redis-benchmark EVALSHA, 32 connections x 16 pipelined; ${accepted} accepted)" >&2

# --- Postgres: the sync path's conditional decrement on one hot row (pgbench, 32 clients).
scratch_deal=$(psql "$DATABASE_URL" -qAtc "
  INSERT INTO deals (product_id, price, stock, stock_remaining, per_user_limit, starts_at, ends_at)
  SELECT id, 100, 1000000000, 1000000000, 1, now() - interval '3 days', now() - interval '2 days'
  FROM products LIMIT 1
  RETURNING id")
[[ -n "$scratch_deal" ]] || { echo "limits: no product to hang a scratch deal on" >&2; exit 1; }
# pgbench SCRIPT CLIENTS: transactions per second, whole.
pgbench_tps() {
  pgbench -n -c "$2" -j "$(($2 < 2 ? 1 : 2))" -T "$seconds" -f "$1" "$DATABASE_URL" 2>/dev/null |
    sed -n 's/^tps = \([0-9]*\).*/\1/p' | head -n 1
}
decrement="$(mktemp)" inserts="$(mktemp)"
scripts=("$decrement" "$inserts")
cat >"$decrement" <<SQL
UPDATE deals SET stock_remaining = stock_remaining - 1
  WHERE id = '$scratch_deal' AND stock_remaining >= 1;
SQL
tps=$(pgbench_tps "$decrement" 32)
echo "limits: postgres hot-row decrement ${tps}/s (pgbench, 32 clients, ${seconds} s)" >&2

# --- Postgres: batched inserts, what the consumer does per Kafka batch minus Kafka and decoding.
user=$(psql "$DATABASE_URL" -qAtc "SELECT id FROM users LIMIT 1")
batch=500
cat >"$inserts" <<SQL
BEGIN;
WITH t AS (SELECT lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') AS h)
INSERT INTO orders (id, deal_id, user_id, quantity, unit_price, status, idempotency_key,
                    accepted_at, confirmed_at, pay_by)
SELECT (substr(h, 1, 8) || '-' || substr(h, 9, 4) || substr(gen_random_uuid()::text, 14))::uuid,
       d.id, '$user', 1, 100, 'confirmed', gen_random_uuid()::text, now(), now(),
       now() + make_interval(secs => d.hold_seconds)
FROM t, generate_series(1, $batch), deals d
WHERE d.id = '$scratch_deal'
ON CONFLICT DO NOTHING;
UPDATE deals SET stock_remaining = stock_remaining - $batch WHERE id = '$scratch_deal';
COMMIT;
SQL
insert_tps=$(pgbench_tps "$inserts" 1)
[[ -n "$insert_tps" ]] || { echo "limits: the batched-insert script failed (run it with psql to see why)" >&2; exit 1; }
rows=$((insert_tps * batch))
echo "limits: postgres batched inserts ${rows} orders/s (pgbench, 1 connection, ${batch} per transaction)" >&2

printf '{"redisReservePerSecond": %s, "postgresHotRowPerSecond": %s, "postgresBatchInsertRowsPerSecond": %s}\n' \
  "${rps%.*}" "$tps" "$rows" >"$out"
