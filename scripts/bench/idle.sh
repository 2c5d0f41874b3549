#!/usr/bin/env bash
# shellcheck disable=SC2154 # entry_*, tool_*: assigned by the eval of `bun infra/processes.ts shell`
# `make bench-idle`: what a running stack costs when nobody uses it. Starts the whole stack
# (scripts/stack.ts, as `make dev` does) on the benches' own infrastructure (scripts/bench/infra.sh),
# lets it settle, then reads every process's CPU from /proc (scripts/bench/cpu.ts: its whole
# tree, so Postgres's backends too) over IDLE_SECONDS (15) and prints milliseconds of CPU per
# process for that window. Polls show up here: a relay reading in a loop, a job waking every
# few milliseconds.
#
# The stores are the benches' own instances, with a database and a Redis database of this
# bench's (flashdeal_idle, Redis db 1), made empty each run.
#
# Environment: BENCH_PORT_BASE (18480: +1 auth, +2 product, +3 order, +4 gateway, +5 relay,
# +6 consumer, +7 payment sandbox, +8 Upstash emulator), IDLE_SECONDS (15), IDLE_SETTLE_SECONDS
# (10: start-up work such as JIT, first connections and group joins is not idle), BENCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."

base="${BENCH_PORT_BASE:-18480}"
export AUTH_PORT=$((base + 1)) PRODUCT_PORT=$((base + 2)) ORDER_PORT=$((base + 3))
export GATEWAY_PORT=$((base + 4)) RELAY_PORT=$((base + 5)) CONSUMER_PORT=$((base + 6))
export PAYMENT_SANDBOX_PORT=$((base + 7)) UPSTASH_PORT=$((base + 8))
# shellcheck source=scripts/bench/infra.sh
source scripts/bench/infra.sh
run_dir="${BENCH_DIR:-.state/bench/idle-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$run_dir"
stack=""
sampler=""
cleanup() {
  [[ -n "$sampler" ]] && kill -TERM "$sampler" 2>/dev/null
  if [[ -n "$stack" ]]; then
    kill -TERM "$stack" 2>/dev/null || true
    wait "$stack" 2>/dev/null || true
  fi
  bench_infra_down
}
trap cleanup EXIT

bench_infra_up
eval "$(bun infra/processes.ts shell)"
# Empty stores of its own (a database and a Redis database made anew, the admin seeded): what is
# measured is the stack's own waiting, not work a bench left behind (holds falling due, say).
export PGDATABASE=flashdeal_idle REDIS_URL="redis://127.0.0.1:$REDIS_PORT/1"
export DATABASE_URL="postgres://$PGUSER:$PGPASSWORD@127.0.0.1:$PGPORT/$PGDATABASE"
PGHOST=127.0.0.1 dropdb --if-exists --force "$PGDATABASE"
PGHOST=127.0.0.1 createdb "$PGDATABASE"
bash scripts/db-migrate.sh >/dev/null
redis-cli -p "$REDIS_PORT" -n 1 FLUSHDB >/dev/null
bun "$tool_seedAdmin" >/dev/null
LOG_LEVEL=warn bun scripts/stack.ts >"$run_dir/stack.log" 2>&1 &
stack=$!
for _ in $(seq 1 240); do
  grep -q '^stack: ready' "$run_dir/stack.log" && break
  kill -0 "$stack" 2>/dev/null || { tail -n 20 "$run_dir/stack.log" >&2; exit 1; }
  sleep 0.5
done
grep -q '^stack: ready' "$run_dir/stack.log" || { echo "bench: the stack was not ready" >&2; exit 1; }

# Each child of the stack by the manifest's name of its entry file; the stores by their piece.
pids_file="$run_dir/pids"
: >"$pids_file"
entries=$(bun infra/processes.ts shell | sed -n 's/^entry_\([a-z_]*\)=\(.*\)$/\1 \2/p')
while read -r pid args; do
  while read -r name entry; do
    [[ " $args " == *" $entry "* ]] && echo "$name $pid" >>"$pids_file"
  done <<<"$entries"
done < <(ps -o pid=,args= --ppid "$stack")
while read -r piece _ _ _ pid; do echo "$piece $pid" >>"$pids_file"; done < <(bash infra/local/status.sh)

sleep "${IDLE_SETTLE_SECONDS:-10}"
bun scripts/bench/cpu.ts sample "$pids_file" "$run_dir/cpu-samples.jsonl" &
sampler=$!
sleep 1.5 # the sampler's first scan of the process trees
from=$(date +%s%3N)
sleep "${IDLE_SECONDS:-15}"
to=$(date +%s%3N)
kill -TERM "$sampler" && wait "$sampler" || true
sampler=""
bun scripts/bench/cpu.ts idle "$run_dir/cpu-samples.jsonl" "$from" "$to" |
  bun -e '
    const rates = JSON.parse(await Bun.stdin.text())
    const seconds = Number(process.argv[1])
    // Ticks are 10 ms each: per-process figures below 10 ms are at the resolution of /proc.
    const rows = Object.entries(rates).map(([name, perSecond]) => [name, Math.round(perSecond * seconds * 10)])
    rows.sort((a, b) => b[1] - a[1])
    for (const [name, ms] of rows) console.log(`idle cpu ${name}: ${ms} ms`)
    console.log(`idle cpu total: ${rows.reduce((sum, [, ms]) => sum + ms, 0)} ms per ${seconds} s`)
  ' "$(((to - from) / 1000))" | tee "$run_dir/idle.txt"
