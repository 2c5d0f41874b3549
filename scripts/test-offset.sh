# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/test-cluster.sh: this run's TEST_PORT_OFFSET (a digit,
# so several checkouts can test side by side), `port BASE` (BASE moved by 10 per offset step),
# `step`, the timed header of each stage, and `fresh_database`.
offset="${TEST_PORT_OFFSET:-0}"
[[ $offset =~ ^[0-9]$ ]] || { echo "TEST_PORT_OFFSET must be a digit 0-9 (got '$offset')" >&2; exit 2; }
port() { echo $(($1 + 10 * offset)); }
started=$SECONDS
step() { printf '\n==> [%4ss] %s\n' "$((SECONDS - started))" "$*"; }
# fresh_database: this run's database dropped, created and migrated (nothing of an earlier run left).
fresh_database() {
  PGHOST=127.0.0.1 dropdb --if-exists --force "$PGDATABASE"
  PGHOST=127.0.0.1 createdb "$PGDATABASE"
  bash scripts/db-migrate.sh
}
