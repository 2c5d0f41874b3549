#!/usr/bin/env bash
# Install (when missing) and start PostgreSQL, Redis and Kafka on 127.0.0.1, without Docker.
#
#   infra/local/up.sh [postgres] [redis] [kafka]      (default: all three)
#
# Environment (defaults): FLASH_STATE_DIR (<repo>/.state/dev), PGPORT (5432), PGUSER (flashdeal),
# PGPASSWORD (flashdeal), PGDATABASE (flashdeal), REDIS_PORT (6379), KAFKA_PORT (9092),
# KAFKA_CONTROLLER_PORT (9093), INFRA_TIMEOUT_SECONDS (60 per piece), KAFKA_HEAP_OPTS.
# Idempotent: a piece already running from this state dir is left alone.
set -euo pipefail

FLASH_PROG=infra-up
# shellcheck source=infra/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  read_command_line -- "$@"
  local -a pieces=("${PIECES[@]}")
  lock_state_dir
  prepare_state_dir
  say "state: $FLASH_STATE_DIR (pieces: ${pieces[*]})"

  ensure_packages "${pieces[@]}"

  # Which pieces already run from this state dir; everything else needs free ports.
  local piece running
  local -a to_start=()
  for piece in "${pieces[@]}"; do
    if running=$(piece running "$piece"); then
      say "$piece: already running (pid ${running% *}, 127.0.0.1:${running#* })"
      if [[ ${running#* } != "$(piece port "$piece")" ]]; then
        warn "$piece: runs on port ${running#* }, not the requested $(piece port "$piece"); run down.sh $piece first to move it"
      fi
    else
      to_start+=("$piece")
    fi
  done
  for piece in "${to_start[@]}"; do piece claim_ports "$piece"; done

  # Prepare, launch everything, then wait: the slow starters overlap.
  local -A t0
  for piece in "${to_start[@]}"; do piece prepare "$piece"; done
  for piece in "${to_start[@]}"; do
    t0[$piece]=$(now)
    piece start "$piece"
  done
  for piece in "${to_start[@]}"; do
    piece wait "$piece"
    say "$piece: ready in $(elapsed_since "${t0[$piece]}")s"
  done

  # What the application needs inside a piece (Postgres: its role and database), also when
  # the piece was already running.
  for piece in "${pieces[@]}"; do piece provision "$piece"; done

  say "up: ${pieces[*]} running (state $FLASH_STATE_DIR)"
}

main "$@"
