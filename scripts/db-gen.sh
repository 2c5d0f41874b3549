#!/usr/bin/env bash
# `make db-gen`: regenerates packages/db/src/generated.ts. The statements are described against a
# scratch database built from db/schema.sql alone, so the types never depend on the state of
# anyone's dev data. Needs the Postgres of `make infra-up` (PGPORT, PGUSER, PGPASSWORD).
set -euo pipefail
cd "$(dirname "$0")/.."

scratch="${PGDATABASE:-flashdeal}_codegen"
export PGOPTIONS="-c client_min_messages=warning" PGHOST=127.0.0.1 PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-flashdeal}" PGPASSWORD="${PGPASSWORD:-flashdeal}"
trap 'dropdb --if-exists "$scratch" >/dev/null 2>&1 || true' EXIT

dropdb --if-exists "$scratch"
createdb "$scratch"
url="postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$scratch"
DATABASE_URL="$url" bun packages/db/src/migrate.ts >/dev/null
DATABASE_URL="$url" bun packages/db/src/generate.ts "$@"
