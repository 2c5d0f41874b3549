#!/usr/bin/env bash
# Runs the README's "First purchase in five minutes" block verbatim against a running stack
# (GATEWAY_URL, ADMIN_EMAIL, ADMIN_PASSWORD), so the walk-through cannot rot: it must end with
# the order confirmed.
set -euo pipefail
cd "$(dirname "$0")/../../.."
script=$(sed -n '/<!-- first-purchase:begin/,/<!-- first-purchase:end/p' README.md | sed '1,2d;$d' | sed '$d')
[[ -n $script ]] || { echo "first-purchase: no block between the README's markers" >&2; exit 1; }
out=$(bash -euo pipefail -c "$script")
printf '%s\n' "$out"
grep -q ': confirmed$' <<<"$out" || { echo "first-purchase: the order never turned confirmed" >&2; exit 1; }
