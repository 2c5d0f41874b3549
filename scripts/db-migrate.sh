#!/usr/bin/env bash
# `make db-migrate`: applies the versioned migrations in db/migrations to $DATABASE_URL with goose
# (pinned, built once by infra/go-tools/install.sh; not tied to either runtime). Idempotent:
# applied versions are recorded in goose_db_version. Usage: scripts/db-migrate.sh [goose command]
# (default `up`; e.g. `status`, `down`).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL}"
goose="$(bash infra/go-tools/install.sh goose)"
GOOSE_DRIVER=postgres GOOSE_DBSTRING="$DATABASE_URL" GOOSE_MIGRATION_DIR=db/migrations \
  "$goose" -table goose_db_version "${@:-up}"
