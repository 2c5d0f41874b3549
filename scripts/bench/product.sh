#!/usr/bin/env bash
# shellcheck disable=SC2154 # entry_*, tool_*, build_*: assigned by the eval of `bun infra/processes.ts shell`
# `make bench-product`: hot product reads, TypeScript and Go (Strategy B), each with the cache on
# and off (Strategy A), under the same k6 load, taking turns, beside the no-work ceiling
# (/health/live of each implementation). Starts four product services on spare ports against
# the Postgres and Redis of `make infra-up` (FLASH_STATE_DIR, PGPORT, REDIS_PORT), seeds one
# product, and for each run reads the CPU time of the service, Postgres and Redis from /proc
# before and after. Hits the services directly: the gateway would add the same proxy cost to
# every run and blur the comparison. ROUNDS (default 2) repeats the turns, so a slow stretch of a
# shared box weighs on every run alike; VUS (32) and DURATION (10s) set the load of one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

base="${BENCH_PORT_BASE:-18280}"
ts_cached=$((base + 2)) ts_rdb=$((base + 3)) go_cached=$((base + 4)) go_rdb=$((base + 5))
state="${FLASH_STATE_DIR:-$root/.state/dev}"
# The product services take /v1 only with the gateway's internal token; k6 signs one with it.
export INTERNAL_AUTH_SECRET="${INTERNAL_AUTH_SECRET:-dev-internal-auth-secret-change-me-0123456789}"
k6="$(bash infra/k6/install.sh)"
# The entry files from the one manifest, infra/processes.ts.
eval "$(bun infra/processes.ts shell)"
go_product="$(bash "$build_product_go")"
pids=()
out="$(mktemp -d)"
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT

bash scripts/db-migrate.sh >/dev/null 2>&1
product_id="$(bun "$tool_seedProduct")"
declare -A service_pid
start() { # name port ENABLE_CACHE command...
  local name=$1 port=$2 cache=$3
  shift 3
  LOG_LEVEL=warn PORT="$port" ENABLE_CACHE="$cache" "$@" &
  pids+=($!)
  service_pid[$name]=$!
}
start ts-cached "$ts_cached" true bun "$entry_product"
start ts-rdb "$ts_rdb" false bun "$entry_product"
start go-cached "$go_cached" true "$go_product"
start go-rdb "$go_rdb" false "$go_product"
for port in "$ts_cached" "$ts_rdb" "$go_cached" "$go_rdb"; do
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "bench-product: service on :$port is not ready" >&2; exit 1; }
done

postmaster="$(head -n1 "$state/postgres/postmaster.pid")"
redis_pid="$(cat "$state/run/redis.pid")"
ticks="$(getconf CLK_TCK)"
# CPU seconds (user + system) of the given processes; a Postgres backend is a postmaster child.
cpu() {
  local total=0 pid stat
  for pid in "$@"; do
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    stat="${stat##*) }"
    total=$((total + $(awk '{ print $12 + $13 }' <<<"$stat")))
  done
  awk -v t="$total" -v hz="$ticks" 'BEGIN { printf "%.4f", t / hz }'
}
# Postgres: the postmaster's own time, its reaped children's (a backend that exited mid-run
# moves into cutime/cstime) and its live children's, so a closing connection is not lost.
postgres_cpu() {
  local stat reaped
  stat="$(cat "/proc/$postmaster/stat")"
  stat="${stat##*) }"
  reaped="$(awk -v hz="$ticks" '{ printf "%.4f", ($14 + $15) / hz }' <<<"$stat")"
  awk -v a="$(cpu "$postmaster" $(pgrep -P "$postmaster"))" -v b="$reaped" 'BEGIN { printf "%.4f", a + b }'
}

run() { # name port route
  local name=$1 port=$2 route=${3:-}
  local pid=${service_pid[${name/-ceiling/-cached}]}
  local s0 p0 r0 s1 p1 r1
  s0=$(cpu "$pid") p0=$(postgres_cpu) r0=$(cpu "$redis_pid")
  (cd "$out" && K6_AUTO_EXTENSION_RESOLUTION=false "$k6" run --quiet \
    -e BASE="http://127.0.0.1:$port" -e PRODUCT_ID="$product_id" -e ROUTE="$route" -e NAME="$name" \
    -e VUS="${VUS:-32}" -e DURATION="${DURATION:-10s}" "$root/infra/k6/product-read.js" >/dev/null)
  s1=$(cpu "$pid") p1=$(postgres_cpu) r1=$(cpu "$redis_pid")
  bun -e "const r = JSON.parse(await Bun.file('$out/bench-product.json').text()); r.cpu = { service: $s1 - $s0, postgres: $p1 - $p0, redis: $r1 - $r0 }; console.log(JSON.stringify(r))" >>"$out/runs.jsonl"
  echo "bench-product: $name done" >&2
}

for _ in $(seq 1 "${ROUNDS:-2}"); do
  run ts-rdb "$ts_rdb"
  run go-rdb "$go_rdb"
  run ts-cached "$ts_cached"
  run go-cached "$go_cached"
  run ts-ceiling "$ts_cached" /health/live
  run go-ceiling "$go_cached" /health/live
done
bun scripts/bench/product-table.ts "$out/runs.jsonl" \
  "hot product read, ${VUS:-32} VUs x ${DURATION:-10s} per run, ${ROUNDS:-2} rounds taking turns, $(nproc) cores shared by k6 and the servers"
cp "$out/runs.jsonl" "${BENCH_OUT:-/dev/null}" 2>/dev/null || true
