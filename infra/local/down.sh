#!/usr/bin/env bash
# Stop the local PostgreSQL, Redis and Kafka of one state dir; data stays in place.
#
#   infra/local/down.sh [--purge] [postgres] [redis] [kafka]      (default: all three)
#
# --purge also deletes the data: the whole FLASH_STATE_DIR when all pieces are named (or none),
# otherwise only the named pieces' data (e.g. `down.sh --purge redis` simulates losing Redis).
# Idempotent: stopping something that is not running is fine.
set -euo pipefail

FLASH_PROG=infra-down
# shellcheck source=infra/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

purge_piece() {
  piece purge "$1"
  say "$1: data deleted"
}

main() {
  read_command_line --purge -- "$@"
  local -a pieces=("${PIECES[@]}")

  if [[ ! -d $FLASH_STATE_DIR ]]; then
    say "state: $FLASH_STATE_DIR does not exist; nothing to stop"
    return 0
  fi
  if (( PURGE )) && [[ ! -f $STATE_MARKER ]]; then
    die "refusing to purge $FLASH_STATE_DIR: it has no $(basename "$STATE_MARKER") marker (not made by up.sh)"
  fi
  lock_state_dir
  say "state: $FLASH_STATE_DIR (pieces: ${pieces[*]})"

  # Reverse dependency order: consumers of Postgres/Redis data go first.
  local piece i
  for ((i = ${#FLASH_ALL_PIECES[@]} - 1; i >= 0; i--)); do
    for piece in "${pieces[@]}"; do
      [[ $piece == "${FLASH_ALL_PIECES[i]}" ]] || continue
      piece stop "$piece"
    done
  done

  if (( PURGE )); then
    if (( ${#pieces[@]} == ${#FLASH_ALL_PIECES[@]} )); then
      for piece in "${FLASH_ALL_PIECES[@]}"; do piece purge_all "$piece"; done
      rm -rf "$FLASH_STATE_DIR"
      say "state: $FLASH_STATE_DIR deleted"
    else
      for piece in "${pieces[@]}"; do purge_piece "$piece"; done
    fi
  fi
}

main "$@"
