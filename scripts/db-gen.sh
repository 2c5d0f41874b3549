#!/usr/bin/env bash
# `make db-gen`: regenerates both outputs of db/query.sql from one scratch database built from
# the migrations alone (so the types never depend on the state of anyone's dev data):
#   - packages/db/src/generated.ts   (TypeScript: Postgres describes each statement)
#   - services/product/go/internal/generated/   (Go: sqlc, config services/product/sqlc.yaml)
# With --check it writes nothing and fails when either output is stale, and runs `sqlc vet`
# (every statement prepared on the scratch database) and `sqlc compile`.
# Needs the Postgres of `make infra-up` (PGPORT, PGUSER, PGPASSWORD) and Go (sqlc is built once
# with go install, see infra/go-tools/install.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
[[ "${1:-}" == "--check" ]] && check=1
sqlc="$(bash infra/go-tools/install.sh sqlc)"

scratch="${PGDATABASE:-flashdeal}_codegen"
export PGOPTIONS="-c client_min_messages=warning" PGHOST=127.0.0.1 PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-flashdeal}" PGPASSWORD="${PGPASSWORD:-flashdeal}"
trap 'dropdb --if-exists "$scratch" >/dev/null 2>&1 || true' EXIT

dropdb --if-exists "$scratch"
createdb "$scratch"
url="postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$scratch"
DATABASE_URL="$url" bash scripts/db-migrate.sh >/dev/null 2>&1
DATABASE_URL="$url" bun packages/db/src/generate.ts "$@"

cd services/product
if [[ $check -eq 1 ]]; then
  "$sqlc" compile
  SQLC_DATABASE_URL="$url" "$sqlc" vet
  if ! "$sqlc" diff; then
    echo 'db-gen: services/product/go/internal/generated is stale; run `make db-gen` and commit it' >&2
    exit 1
  fi
  echo "db-gen: sqlc vet, compile and diff pass (Go code is up to date)"
else
  "$sqlc" generate
  echo "db-gen: sqlc wrote services/product/go/internal/generated"
fi
