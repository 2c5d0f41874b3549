#!/usr/bin/env bash
# `make bench-product`: hot product reads with the cache on and off, side by side in one run.
# Starts two product services on spare ports (ENABLE_CACHE=true and false) against the dev
# Postgres and Redis (`make infra-up`), seeds one product, runs infra/k6/product-read.js, stops
# the services. Hits the product services directly: the gateway would add the same proxy cost to
# both and blur the comparison of the two strategies.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The product services take /v1 only with the gateway's internal token; k6 signs one with it.
export INTERNAL_AUTH_SECRET="${INTERNAL_AUTH_SECRET:-dev-internal-auth-secret-change-me-0123456789}"
cached_port="${BENCH_CACHED_PORT:-18282}"
rdb_port="${BENCH_RDB_PORT:-18382}"
k6="$(bash infra/k6/install.sh)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

bun packages/db/src/migrate.ts >/dev/null
product_id="$(bun services/product/src/cli/seed-product.ts)"
LOG_LEVEL=warn PORT="$cached_port" ENABLE_CACHE=true bun services/product/src/main.ts & pids+=($!)
LOG_LEVEL=warn PORT="$rdb_port" ENABLE_CACHE=false bun services/product/src/main.ts & pids+=($!)
for port in "$cached_port" "$rdb_port"; do
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
done

out="$(mktemp -d)"
(cd "$out" && K6_AUTO_EXTENSION_RESOLUTION=false "$k6" run --quiet \
  -e CACHED_URL="http://127.0.0.1:$cached_port" -e RDB_URL="http://127.0.0.1:$rdb_port" \
  -e PRODUCT_ID="$product_id" -e INTERNAL_AUTH_SECRET="$INTERNAL_AUTH_SECRET" -e VUS="${VUS:-32}" -e DURATION="${DURATION:-15s}" \
  "$OLDPWD/infra/k6/product-read.js")
cp "$out/bench-product.json" "${BENCH_OUT:-/dev/null}" 2>/dev/null || true
