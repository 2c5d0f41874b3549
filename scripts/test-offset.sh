# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/test-cluster.sh: this run's TEST_PORT_OFFSET (a digit,
# so several checkouts can test side by side), `port BASE` (BASE moved by 10 per offset step),
# and `step`, the timed header of each stage.
offset="${TEST_PORT_OFFSET:-0}"
[[ $offset =~ ^[0-9]$ ]] || { echo "TEST_PORT_OFFSET must be a digit 0-9 (got '$offset')" >&2; exit 2; }
port() { echo $(($1 + 10 * offset)); }
started=$SECONDS
step() { printf '\n==> [%4ss] %s\n' "$((SECONDS - started))" "$*"; }
