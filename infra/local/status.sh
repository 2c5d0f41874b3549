#!/usr/bin/env bash
# One line per piece of the local infrastructure of one state dir:
#
#   infra/local/status.sh [postgres] [redis] [kafka]      (default: all three)
#
#   postgres  running  127.0.0.1:5432  pid 12345
#   kafka     stopped  127.0.0.1:9092  -
#
# Exit status: 0 when every named piece runs, 3 otherwise.
set -euo pipefail

FLASH_PROG=infra-status
# shellcheck source=infra/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  read_command_line -- "$@"
  local -a pieces=("${PIECES[@]}")

  local piece info rc=0
  for piece in "${pieces[@]}"; do
    if info=$(piece running "$piece"); then
      printf '%-9s %-8s 127.0.0.1:%-6s pid %s\n' "$piece" running "${info#* }" "${info% *}"
    else
      printf '%-9s %-8s 127.0.0.1:%-6s -\n' "$piece" stopped "$(piece port "$piece")"
      rc=3
    fi
  done
  return "$rc"
}

main "$@"
