#!/usr/bin/env bash
# shellcheck disable=SC2154 # entry_*, tool_*, build_*: assigned by the eval of `bun infra/processes.ts shell`
# `make bench-purchase`: the purchase under a spike, async (Redis reservation, 202) against sync
# (Postgres transaction, 201) against the ceiling (an Elysia "hello" route), in one bench run on
# this box, then a correctness check of what Postgres and Redis hold afterwards.
#
# Runs on infrastructure of its own (scripts/bench/infra.sh: Postgres, Redis and Kafka in
# .state/bench on ports of their own), so a running `make dev` neither drains its outboxes nor
# blocks its set-up, and starts its own processes on spare ports against it:
# auth, product, the order API, two gateways (ORDER_MODE=async and sync, purchase
# rate limits off), the hello server, and, once the front-door runs are over, the outbox relay
# and Kafka consumer. Sets up a product, four deals and a few customers
# (scripts/bench/purchase-setup.ts), runs infra/k6/purchase-spike.js (hello, sync, async, traced),
# starts the relay and consumer and times the drain of the backlog, runs the checkout phase
# (scripts/bench/checkout.ts: the checkout deal sold out, a share paid through the payment sandbox,
# the rest expired and sold again), runs the `pipeline` run (the
# async gateway with the drain on the same cores), checks (services/order/src/cli/bench-check.ts)
# and stops everything it started, whatever happened. Exits non-zero when any correctness check
# fails. Every server process's CPU is sampled from /proc throughout (scripts/bench/cpu.ts) and
# reported per operation, per run (scripts/bench/cpu-report.ts).
#
# Environment: VUS (32), DURATION (15s), BENCH_PORT_BASE (18480: +1 auth, +2 product, +3 order,
# +4 async gateway, +5 sync gateway, +6 hello, +7 relay, +8 consumer, +9 async gateway with
# tracing on and its collector down, +10 the local Upstash emulator, +11 the async gateway with the
# Upstash adapter, +12 the edge gateway (workerd, Upstash adapter), +13 the payment sandbox; each
# also BENCH_*_PORT),
# BENCH_DIR (where logs and results go), BENCH_OUT (a copy of the summary JSON),
# BENCH_DRAIN_TIMEOUT_S (60), BENCH_CUSTOMERS (20), BENCH_STOCK (1000000),
# RUNS (hello,sync,async,traced,async-upstash,edge,limits,checkout,pipeline,crowd: the runs to make), ROUNDS (3: the front-door
# runs take turns in this many slices of DURATION/ROUNDS each),
# BENCH_PAY_SHARE (0.5: the share of the checkout deal's orders paid; the rest expires),
# BENCH_CHECKOUT_STOCK (600), BENCH_HOLD_SECONDS (10: the checkout deal's payment window),
# BENCH_PROFILE (1: every Bun process writes a CPU profile, as markdown, to $BENCH_DIR/profiles).
set -euo pipefail
cd "$(dirname "$0")/../.."

base="${BENCH_PORT_BASE:-18480}"
auth_port="${BENCH_AUTH_PORT:-$((base + 1))}"
product_port="${BENCH_PRODUCT_PORT:-$((base + 2))}"
order_port="${BENCH_ORDER_PORT:-$((base + 3))}"
async_port="${BENCH_ASYNC_GATEWAY_PORT:-$((base + 4))}"
sync_port="${BENCH_SYNC_GATEWAY_PORT:-$((base + 5))}"
hello_port="${BENCH_HELLO_PORT:-$((base + 6))}"
relay_port="${BENCH_RELAY_PORT:-$((base + 7))}"
consumer_port="${BENCH_CONSUMER_PORT:-$((base + 8))}"
traced_port="${BENCH_TRACED_GATEWAY_PORT:-$((base + 9))}"
upstash_port="${BENCH_UPSTASH_PORT:-$((base + 10))}"
upstash_gateway_port="${BENCH_UPSTASH_GATEWAY_PORT:-$((base + 11))}"
edge_port="${BENCH_EDGE_GATEWAY_PORT:-$((base + 12))}"
sandbox_port="${BENCH_SANDBOX_PORT:-$((base + 13))}"
# shellcheck source=scripts/bench/infra.sh
source scripts/bench/infra.sh
# The gateways sign internal tokens with it, auth/product/order verify them (the dev value).
export INTERNAL_AUTH_SECRET="${INTERNAL_AUTH_SECRET:-dev-internal-auth-secret-change-me-0123456789}"
# The entry files (entry_<process>, tool_<name>) from the one manifest, infra/processes.ts.
eval "$(bun infra/processes.ts shell)"

run_dir="${BENCH_DIR:-.state/bench/purchase-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$run_dir"
run_dir="$(cd "$run_dir" && pwd)"
k6="$(bash infra/k6/install.sh)"
local_url() { echo "http://127.0.0.1:$1"; }

names=()
ports=()
pids=()
step=""
sampler=""
cleanup() {
  [[ -n "$step" ]] && kill -TERM "$step" 2>/dev/null
  [[ -n "$sampler" ]] && kill -TERM "$sampler" 2>/dev/null
  if ((${#pids[@]})); then stop_processes; fi
  bench_infra_down
}
stop_processes() {
  kill -TERM "${pids[@]}" 2>/dev/null || true
  # Each service drains and closes its clients on SIGTERM; give them that, then insist.
  local alive
  for _ in $(seq 1 60); do
    alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    ((${#alive[@]})) || break
    sleep 0.25
  done
  ((${#alive[@]})) && kill -KILL "${alive[@]}" 2>/dev/null
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run CMD...: one step of the bench, waited for in the background: bash defers a trap until a
# foreground child exits, which would let a 45 s k6 run outlive Ctrl-C or a SIGTERM.
run() {
  local status=0
  "$@" &
  step=$!
  wait "$step" || status=$?
  step=""
  return "$status"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start NAME PORT ENTRY [VAR=value ...]: one process, its output in $run_dir/NAME.log.
start() {
  local name=$1 port=$2 entry=$3
  shift 3
  local flags=()
  [[ "${BENCH_PROFILE:-}" == 1 ]] &&
    flags=(--cpu-prof-md "--cpu-prof-dir=$run_dir/profiles" "--cpu-prof-name=$name.md")
  env LOG_LEVEL=warn PORT="$port" "$@" bun "${flags[@]}" "$entry" >"$run_dir/$name.log" 2>&1 &
  pids+=($!)
  echo "$name $!" >>"$pids_file"
  names+=("$name")
  ports+=("$port")
}

# wait_ready INDEX: polls the /health/ready of the INDEXth process started for up to 60 s.
wait_ready() {
  local index=$1
  local name=${names[$index]} port=${ports[$index]} pid=${pids[$index]}
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null --max-time 2 "$(local_url "$port")/health/ready" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "bench: $name exited before it was ready; the end of $run_dir/$name.log:" >&2
      tail -n 20 "$run_dir/$name.log" >&2
      return 1
    fi
    sleep 0.25
  done
  echo "bench: $name not ready on :$port after 60 s; the end of $run_dir/$name.log:" >&2
  tail -n 20 "$run_dir/$name.log" >&2
  return 1
}

for port in "$auth_port" "$product_port" "$order_port" "$async_port" "$sync_port" \
  "$hello_port" "$relay_port" "$consumer_port" "$traced_port" "$upstash_port" \
  "$upstash_gateway_port" "$edge_port" "$sandbox_port"; do
  if port_in_use "$port"; then
    echo "bench: port $port is in use; pick other ports with BENCH_PORT_BASE" >&2
    exit 1
  fi
done

bench_infra_up
# The sampler charges each server process's CPU (its whole tree: Postgres's backends too) to the
# run in whose slices it fell; the stores' pids come from infra/local/status.sh.
pids_file="$run_dir/pids"
: >"$pids_file"
while read -r piece _ _ _ pid; do echo "$piece $pid" >>"$pids_file"; done < <(bash infra/local/status.sh)
bun scripts/bench/cpu.ts sample "$pids_file" "$run_dir/cpu-samples.jsonl" &
sampler=$!
idle_windows=()
# quiet_window: two seconds in which every process is up and nothing is asked of it; their
# idle CPU (poll loops, timers) is subtracted from what the runs are charged.
quiet_window() {
  local from
  from=$(date +%s%3N)
  sleep 2
  idle_windows+=("{\"from\":$from,\"to\":$(date +%s%3N)}")
}
jwks="JWKS_URL=$(local_url "$auth_port")/.well-known/jwks.json"
gateway_env=(
  "AUTH_URL=$(local_url "$auth_port")" "PRODUCT_URL=$(local_url "$product_port")"
  "ORDER_URL=$(local_url "$order_port")" "$jwks"
  # Off: the run measures the purchase path, not the limiter refusing 32 eager VUs.
  PURCHASE_RATE_PER_USER=0 PURCHASE_RATE_PER_ADDRESS=0
  # Off too: the setup signs up and logs in its customers from one address.
  AUTH_RATE_PER_ADDRESS=0
)
start auth "$auth_port" "$entry_auth"
start product "$product_port" "$entry_product" "$jwks"
# Sync mode: the sync gateway hands it the purchase (the route exists only in that mode).
# Checkout charges through the payment sandbox, which signs its webhooks back to it.
start order "$order_port" "$entry_order" "$jwks" ORDER_MODE=sync \
  "PAYMENT_PROVIDER_URL=$(local_url "$sandbox_port")"
start payment-sandbox "$sandbox_port" "$entry_payment_sandbox" PAYMENT_SANDBOX_STORE=memory \
  "PAYMENT_WEBHOOK_URL=$(local_url "$order_port")/webhooks/payments"
start gateway-async "$async_port" "$entry_gateway" ORDER_MODE=async "${gateway_env[@]}"
start gateway-sync "$sync_port" "$entry_gateway" ORDER_MODE=sync "${gateway_env[@]}"
# The async gateway with tracing on and its collector unreachable (nothing listens on port 9):
# spans are made, queued and dropped; the run shows what that costs a purchase.
start gateway-traced "$traced_port" "$entry_gateway" ORDER_MODE=async "${gateway_env[@]}" \
  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:9
start hello "$hello_port" "$tool_hello"
# The Upstash adapter (Redis over HTTP) through the local emulator over the same Redis: on Bun
# (async-upstash), and in the gateway's Worker on workerd (edge), which has no other way to Redis.
upstash_env=("UPSTASH_REDIS_REST_URL=$(local_url "$upstash_port")" UPSTASH_REDIS_REST_TOKEN=bench-upstash-token)
start upstash "$upstash_port" "$entry_upstash" URS_TOKEN=bench-upstash-token
start gateway-upstash "$upstash_gateway_port" "$entry_gateway" ORDER_MODE=async \
  REDIS_DRIVER=upstash "${upstash_env[@]}" "${gateway_env[@]}"
start gateway-edge "$edge_port" "$entry_gateway_workerd" ORDER_MODE=async \
  "${upstash_env[@]}" "${gateway_env[@]}" FLASH_STATE_DIR="$run_dir"

# The async orders reach Postgres through the relay (Redis outbox -> Kafka) and the consumer
# (Kafka -> Postgres). They start after the front-door runs: the spike is answered by the
# gateway and Redis alone while the outbox absorbs it (in production they run on other cores,
# other hosts); then they drain that backlog, and the `pipeline` run measures the async gateway
# again with them draining on the same two cores.
# A relay name of its own (a name is one member of the outbox group; two live processes must not
# share one); the consumer joins the usual group, so it only reads what arrives from now on.
start_pipeline() {
  local first=${#names[@]} index
  start relay "$relay_port" "$entry_relay" RELAY_NAME=bench-relay
  start consumer "$consumer_port" "$entry_consumer"
  for index in $(seq "$first" $((${#names[@]} - 1))); do wait_ready "$index"; done
}

for index in "${!names[@]}"; do wait_ready "$index"; done
echo "bench: ${names[*]} ready; logs in $run_dir"
quiet_window

# RUNS picks the runs (default all, in this order); pipeline is the second k6 invocation, limits
# the stores' own ceilings (scripts/bench/limits.sh: redis-benchmark and pgbench).
runs="${RUNS:-hello,sync,async,traced,async-upstash,edge,limits,checkout,pipeline,crowd}"
front=()
with_checkout=0
with_pipeline=0
with_crowd=0
with_limits=0
IFS=, read -ra requested <<<"$runs"
for name in "${requested[@]}"; do
  case "$name" in
  hello | sync | async | traced | async-upstash | edge) front+=("$name") ;;
  checkout) with_checkout=1 ;;
  pipeline) with_pipeline=1 ;;
  crowd) with_crowd=1 ;;
  limits) with_limits=1 ;;
  *)
    echo "bench: unknown run '$name' in RUNS (hello, sync, async, traced, async-upstash, edge, limits, checkout, pipeline, crowd)" >&2
    exit 1
    ;;
  esac
done

GATEWAY_URL="$(local_url "$async_port")" run bun scripts/bench/purchase-setup.ts "$run_dir/setup.json"
# k6_run REPORT ARGS...: one k6 invocation; REPORT names k6's own HTML report of it (the web
# dashboard's export: throughput and latency over time), left in $run_dir (no dashboard port).
k6_run() {
  local report=$1
  shift
  K6_WEB_DASHBOARD=true K6_WEB_DASHBOARD_PORT=-1 K6_WEB_DASHBOARD_PERIOD=1s K6_WEB_DASHBOARD_EXPORT="$run_dir/k6-$report.html" \
    K6_AUTO_EXTENSION_RESOLUTION=false run "$k6" run --quiet \
    -e SETUP_FILE="$run_dir/setup.json" \
    -e HELLO_URL="$(local_url "$hello_port")" -e ASYNC_URL="$(local_url "$async_port")" \
    -e SYNC_URL="$(local_url "$sync_port")" -e TRACED_URL="$(local_url "$traced_port")" \
    -e UPSTASH_URL="$(local_url "$upstash_gateway_port")" -e EDGE_URL="$(local_url "$edge_port")" \
    -e VUS="${VUS:-32}" -e DURATION="${DURATION:-15s}" -e ROUNDS="${ROUNDS:-3}" "$@" \
    infra/k6/purchase-spike.js
}
summary="$run_dir/bench-purchase.json"
if ((${#front[@]})); then
  k6_run front -e RUNS="$(IFS=,; echo "${front[*]}")" -e SUMMARY_FILE="$run_dir/front.json"
  cp "$run_dir/front.json" "$summary"
fi

# The stores' own limits, measured while nothing else runs (the pipeline is not started yet).
limits=()
if ((with_limits)); then
  run bash scripts/bench/limits.sh "$run_dir/limits.json"
  limits=(BENCH_LIMITS="$run_dir/limits.json")
fi

if [[ -f "$summary" ]]; then
  run bun "$tool_benchCheck" --backlog "$run_dir/setup.json" "$summary"
fi
start_pipeline
if [[ -f "$summary" ]]; then
  echo "bench: relay and consumer started; draining what the front door accepted"
  run env "${limits[@]}" BENCH_DRAIN_OUT="$run_dir/drain.json" \
    bun "$tool_benchCheck" --drain "$run_dir/setup.json" "$summary"
fi
# Checkout, with the drain done: pay a share of the checkout deal, let the rest expire, resell it.
checkout=()
if ((with_checkout)); then
  GATEWAY_URL="$(local_url "$async_port")" run bun scripts/bench/checkout.ts \
    "$run_dir/setup.json" "$run_dir/checkout.json"
  checkout=(BENCH_CHECKOUT="$run_dir/checkout.json" BENCH_SANDBOX_URL="$(local_url "$sandbox_port")")
fi
quiet_window

if ((with_pipeline)); then
  previous=()
  [[ -f "$summary" ]] && previous=(-e PREVIOUS_SUMMARY="$summary")
  k6_run pipeline -e RUNS=pipeline -e ROUNDS=1 "${previous[@]}" -e SUMMARY_FILE="$run_dir/all.json"
  mv "$run_dir/all.json" "$summary"
fi
# The crowd: CROWD (2,000) arrivals within a few seconds on one deal of BENCH_CROWD_STOCK (1,000)
# units, the relay and consumer draining meanwhile; only 202 and 409 are meant answers.
crowd=()
if ((with_crowd)); then
  K6_WEB_DASHBOARD=true K6_WEB_DASHBOARD_PORT=-1 K6_WEB_DASHBOARD_PERIOD=1s \
    K6_WEB_DASHBOARD_EXPORT="$run_dir/k6-crowd.html" K6_AUTO_EXTENSION_RESOLUTION=false \
    run "$k6" run --quiet -e SETUP_FILE="$run_dir/setup.json" -e ASYNC_URL="$(local_url "$async_port")" \
    -e CROWD="${CROWD:-2000}" -e SUMMARY_FILE="$run_dir/crowd.json" infra/k6/crowd.js
  crowd=(BENCH_CROWD="$run_dir/crowd.json")
fi

[[ -f "$summary" ]] || { echo "bench: no k6 run was made (RUNS=$runs)" >&2; exit 1; }
kill -TERM "$sampler" && wait "$sampler" || true
sampler=""
(IFS=,; echo "[${idle_windows[*]}]") >"$run_dir/idle.json"
drain_file=()
[[ -f "$run_dir/drain.json" ]] && drain_file=("$run_dir/drain.json")
run bun scripts/bench/cpu-report.ts "$run_dir/cpu-samples.jsonl" "$run_dir/idle.json" "$summary" \
  "${drain_file[@]}"
run bun scripts/bench/chart.ts "$summary" "$run_dir/bench-purchase.svg"
cp "$summary" "${BENCH_OUT:-/dev/null}" 2>/dev/null || true
run env ASYNC_PIPELINE=running "${limits[@]}" "${crowd[@]}" "${checkout[@]}" \
  bun "$tool_benchCheck" "$run_dir/setup.json" "$summary"
