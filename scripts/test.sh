#!/usr/bin/env bash
# `make test`: every check, against real servers this script starts and stops itself.
#
# It runs its own Postgres, Redis and Kafka (state in .state/test, ports 55432/56379/59092) and
# its own services (ports 18079-18085; system tests 19080-19199), so it never touches a `make dev`
# stack running beside it, and it leaves nothing running when it exits, whether it passes or fails.
# TEST_PORT_OFFSET=N (0-9) moves every one of those ports (infrastructure and services by 10*N,
# system tests by 200*N), so several checkouts can run `make test` side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

# shellcheck source=scripts/test-offset.sh
source scripts/test-offset.sh
# The single-node topology whatever the shell says (`make test-cluster` runs the cluster's).
unset TOPOLOGY REDIS_CLUSTER_NODES
export FLASH_STATE_DIR="$root/.state/test"
export PGPORT="${TEST_PGPORT:-$(port 55432)}" PGUSER=flashdeal PGPASSWORD=flashdeal PGDATABASE=flashdeal
export REDIS_PORT="${TEST_REDIS_PORT:-$(port 56379)}"
export KAFKA_PORT="${TEST_KAFKA_PORT:-$(port 59092)}" KAFKA_CONTROLLER_PORT="${TEST_KAFKA_CONTROLLER_PORT:-$(port 59093)}"
export SYSTEM_TEST_PORT_BASE=$((19080 + 200 * offset))
export DATABASE_URL="postgres://$PGUSER:$PGPASSWORD@127.0.0.1:$PGPORT/$PGDATABASE"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
export GATEWAY_PORT=$(port 18080) AUTH_PORT=$(port 18081) PRODUCT_PORT=$(port 18082) ORDER_PORT=$(port 18083)
export RELAY_PORT=$(port 18084) CONSUMER_PORT=$(port 18085) UPSTASH_PORT=$(port 18079)
export PAYMENT_SANDBOX_PORT=$(port 18086) # the payment sandbox (in scripts/stack.ts's process table)
export GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT" AUTH_URL="http://127.0.0.1:$AUTH_PORT"
export PRODUCT_URL="http://127.0.0.1:$PRODUCT_PORT" ORDER_URL="http://127.0.0.1:$ORDER_PORT"
export ADMIN_EMAIL=admin@flash-deal.test ADMIN_PASSWORD=test-admin-password-1
export JWT_KEY_DIR="$FLASH_STATE_DIR/keys"
# The service-to-service secret of this run: the stack, the system tests and the tests that call
# a service directly (as the gateway) all use it.
export INTERNAL_AUTH_SECRET="test-internal-auth-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export LOG_LEVEL="${LOG_LEVEL:-warn}"
stack_log="$FLASH_STATE_DIR/stack.log"
rm -f "$FLASH_STATE_DIR"/stack*.log # a log from an earlier run would mislead the failure report

stack_pid=""
cleanup() {
  local code=$?
  if [[ -n "$stack_pid" ]] && kill -0 "$stack_pid" 2>/dev/null; then
    kill -TERM "$stack_pid" 2>/dev/null || true
    wait "$stack_pid" 2>/dev/null || true
  fi
  bash infra/local/down.sh >/dev/null 2>&1 || bash infra/local/down.sh || true
  if [[ $code -ne 0 && -f "$stack_log" ]]; then
    echo "--- last lines of the stack log ($stack_log)"
    tail -n 40 "$stack_log" || true
  fi
  printf '\n==> make test %s in %ss\n' "$([[ $code -eq 0 ]] && echo passed || echo FAILED)" "$((SECONDS - started))"
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "lint (biome)"
bun run lint

step "type check (tsc --strict)"
bun run typecheck

step "api/order-events.asyncapi.yaml equals what the event schemas generate"
bun scripts/asyncapi.ts --check

step "docker-compose.yml (compose parser)"
bash infra/compose/check.sh

step "test infrastructure: Postgres :$PGPORT, Redis :$REDIS_PORT, Kafka :$KAFKA_PORT"
bash infra/local/up.sh

step "fresh test database, schema, generated-types drift"
fresh_database
bash scripts/db-gen.sh --check
bun services/order/src/cli/create-topics.ts
bun services/auth/src/cli/seed-admin.ts

step "OpenTelemetry Collector for the tracing test (built once with go install, cached)"
make --no-print-directory otelcol

step "unit and integration tests (bun test, real Postgres/Redis/Kafka)"
# Integration tests talk to real Postgres, Redis and Kafka on a shared box: give each 30 s (Bun's
# default is 5 s; bunfig.toml has no per-test timeout setting, so it is given here).
bun test --timeout 30000

step "Go: gofmt, go vet, go test ./... (the product service against the real Postgres/Redis)"
# Every Go package of the module (go.mod's ignore block keeps the JavaScript trees out).
unformatted="$(gofmt -l $(go list -f '{{.Dir}}' ./...))"
[[ -z "$unformatted" ]] || { echo "gofmt: not formatted: $unformatted" >&2; exit 1; }
go vet ./...
go test -count=1 ./...

step "Go: the product service's binary for PRODUCT_IMPL=go (a fresh machine compiles every module once: minutes)"
go_build_started=$SECONDS
bash services/product/go/build.sh >/dev/null
echo "built in $((SECONDS - go_build_started))s"

# start_stack NAME [VAR=value ...]: the whole stack in the background, with its own log.
start_stack() {
  local name=$1
  shift
  stack_log="$FLASH_STATE_DIR/stack-$name.log"
  env "$@" bun scripts/stack.ts >"$stack_log" 2>&1 &
  stack_pid=$!
  for _ in $(seq 1 480); do # 120 s: a loaded box starts Kafka clients and nine processes slowly
    grep -q '^stack: ready' "$stack_log" 2>/dev/null && return 0
    kill -0 "$stack_pid" 2>/dev/null || { echo "stack ($name) exited early"; exit 1; }
    sleep 0.25
  done
  echo "stack ($name) did not become ready in 120 s"
  exit 1
}
stop_stack() {
  kill -TERM "$stack_pid" 2>/dev/null || true
  wait "$stack_pid" 2>/dev/null || true
  stack_pid=""
}
tavern() { (cd tests && "$root/.venv/bin/pytest" "$@"); }

step "services on :$GATEWAY_PORT-:$CONSUMER_PORT, purchases async (Redis reservation, outbox, Kafka)"
start_stack async ORDER_MODE=async

step "api/*.yaml equals what the services serve"
bun scripts/openapi.ts --check

step "schemathesis, every check, on every service's document and through the gateway (anonymous, customer, admin)"
bash tests/fuzz/run.sh

step "Tavern E2E scenarios through the gateway (async)"
ORDER_MODE=async tavern

step "the gateway's Swagger UI in headless Chromium: sign up, log in, authorize, buy from one page"
bash tests/system/browser/install-chromium.sh
bun tests/system/browser/swagger-ui.ts

step "README: the 'First purchase in five minutes' block, verbatim, through the gateway"
bash tests/system/browser/first-purchase.sh
stop_stack

step "Tavern E2E scenarios through the gateway (sync: one Postgres transaction per purchase)"
start_stack sync ORDER_MODE=sync
ORDER_MODE=sync tavern
stop_stack

step "Tavern purchase scenarios through the Upstash adapter (REST, local emulator over Redis)"
start_stack upstash ORDER_MODE=async REDIS_DRIVER=upstash
ORDER_MODE=async tavern scenarios/test_purchase.tavern.yaml
stop_stack

step "Worker bundle check (no ioredis, kafkajs, node: modules or Bun API in the edge gateway)"
bun services/gateway/src/cli/build-worker.ts

step "Tavern E2E scenarios, all of them, through the gateway on workerd (Worker, Upstash adapter, async)"
edge_started=$SECONDS
start_stack workerd ORDER_MODE=async GATEWAY_RUNTIME=workerd
ORDER_MODE=async tavern
stop_stack
echo "workerd gateway: stack start and Tavern took $((SECONDS - edge_started))s"

step "Tavern E2E scenarios, the whole suite, with the Go product service (PRODUCT_IMPL=go, async)"
start_stack go ORDER_MODE=async PRODUCT_IMPL=go
bun scripts/openapi.ts --check
bash tests/fuzz/run.sh product:anonymous product:admin
ORDER_MODE=async tavern
stop_stack
