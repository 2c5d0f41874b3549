# shellcheck shell=bash
# Sourced by the benches: infrastructure of their own, so nothing else drains or shares it.
#
# A bench's figures are only worth something when nothing else runs on its stores: a `make dev`
# relay would drain the bench's outboxes (its deals would join the dev registry), the dev
# consumer would split the bench's Kafka partitions, and a locked-out dev admin would stop the
# set-up. So a bench starts its own Postgres, Redis and Kafka (state in .state/bench, ports
# BENCH_PGPORT 25432, BENCH_REDIS_PORT 26379, BENCH_KAFKA_PORT 29092/29093: below the
# ephemeral range 32768-60999, so a busy client socket never holds one), migrates, creates
# the topics and seeds an admin of its own, and stops them when it ends (data stays for the next
# run). Call `bench_infra_up` once; register `bench_infra_down` in the EXIT trap.
bench_infra_env() {
  export FLASH_STATE_DIR="$PWD/.state/bench"
  export PGPORT="${BENCH_PGPORT:-25432}" PGUSER=flashdeal PGPASSWORD=flashdeal PGDATABASE=flashdeal
  export REDIS_PORT="${BENCH_REDIS_PORT:-26379}"
  export KAFKA_PORT="${BENCH_KAFKA_PORT:-29092}" KAFKA_CONTROLLER_PORT="${BENCH_KAFKA_CONTROLLER_PORT:-29093}"
  export DATABASE_URL="postgres://$PGUSER:$PGPASSWORD@127.0.0.1:$PGPORT/$PGDATABASE"
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  export KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
  export ADMIN_EMAIL=admin@flash-deal.bench ADMIN_PASSWORD=bench-admin-password-1
  export JWT_KEY_DIR="$FLASH_STATE_DIR/keys"
}

# bench_infra_up [pieces...]: start (idempotently) and prepare the bench's own stores.
bench_infra_up() {
  bench_infra_env
  echo "bench: own infrastructure in .state/bench (Postgres :$PGPORT, Redis :$REDIS_PORT, Kafka :$KAFKA_PORT)"
  bash infra/local/up.sh "$@" >"$FLASH_STATE_DIR.infra.log" 2>&1 || {
    cat "$FLASH_STATE_DIR.infra.log" >&2
    return 1
  }
  bash scripts/db-migrate.sh >/dev/null
  if [[ $# -eq 0 || " $* " == *" kafka "* ]]; then
    bun services/order/src/cli/create-topics.ts >/dev/null
  fi
  bun services/auth/src/cli/seed-admin.ts >/dev/null
  BENCH_INFRA_STARTED=1
}

bench_infra_down() {
  [[ -n "${BENCH_INFRA_STARTED:-}" ]] || return 0
  bash infra/local/down.sh >/dev/null 2>&1 || true
}
