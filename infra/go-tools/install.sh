#!/usr/bin/env bash
# Builds one pinned Go tool once from the Go module proxy into a per-user cache and prints its path.
# Usage: infra/go-tools/install.sh sqlc|goose
# sqlc needs cgo (it compiles the Postgres parser with gcc); its first build takes minutes.
set -euo pipefail
readonly sqlc_version="v1.31.1"
readonly goose_version="v3.30.1"
tool="${1:?usage: install.sh sqlc|goose}"
case "$tool" in
  sqlc) module="github.com/sqlc-dev/sqlc/cmd/sqlc"; version="$sqlc_version"; cgo=1; tags="" ;;
  # Postgres only: goose's other drivers (ClickHouse, YDB, SQLite...) would triple the build.
  goose) module="github.com/pressly/goose/v3/cmd/goose"; version="$goose_version"; cgo=0
    tags="no_clickhouse no_libsql no_mssql no_mysql no_sqlite3 no_vertica no_ydb" ;;
  *) echo "go-tools: unknown tool $tool" >&2; exit 2 ;;
esac
bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/flash-deal/bin"
binary="$bin_dir/$tool-$version"
if [[ ! -x "$binary" ]]; then
  command -v go >/dev/null 2>&1 || { echo "go-tools: go is required (go install $module@$version)" >&2; exit 1; }
  echo "building $tool $version with go install (first run only)..." >&2
  mkdir -p "$bin_dir"
  # A scratch GOBIN: a half-written build must never be mistaken for a good one on the next run.
  scratch="$(mktemp -d "$bin_dir/.$tool.XXXXXX")"
  trap 'rm -rf "$scratch"' EXIT
  started=$SECONDS
  GOBIN="$scratch" CGO_ENABLED=$cgo go install -tags "$tags" "$module@$version" >&2
  mv "$scratch/$tool" "$binary"
  echo "built $tool $version in $((SECONDS - started)) s" >&2
fi
echo "$binary"
