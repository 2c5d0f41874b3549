#!/usr/bin/env bash
# Builds the pinned k6 once from the Go module proxy into a per-user cache and prints its path.
# (The npm `k6` package is a placeholder and Debian has no k6.)
set -euo pipefail
readonly version="v1.8.1"
bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/flash-deal/bin"
k6="$bin_dir/k6-$version"
if [[ ! -x "$k6" ]]; then
  echo "building k6 $version with go install (first run only, a few minutes)..." >&2
  mkdir -p "$bin_dir"
  scratch="$(mktemp -d "$bin_dir/.k6.XXXXXX")"
  trap 'rm -rf "$scratch"' EXIT
  GOBIN="$scratch" CGO_ENABLED=0 GOFLAGS=-mod=mod go install "go.k6.io/k6@$version" >&2
  mv "$scratch/k6" "$k6"
fi
echo "$k6"
