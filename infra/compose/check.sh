#!/usr/bin/env bash
# Validates docker-compose.yml with the real compose parser, without a Docker engine.
#
# Debian's docker-compose 1.29 rejects current keys (`name`, `depends_on.required`), so this
# builds the Compose v2 CLI from the Go module proxy once and keeps it in a per-user cache.
# Usage: infra/compose/check.sh [compose-file]   (default: the repository's docker-compose.yml)
set -euo pipefail

readonly compose_module="github.com/docker/compose/v2"
readonly compose_version="v2.35.0"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
compose_file="${1:-$repo_root/docker-compose.yml}"
bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/flash-deal/bin"
compose_bin="$bin_dir/docker-compose"

compose_is_current() {
  [[ -x "$compose_bin" ]] && "$compose_bin" --version 2>/dev/null | grep -qF "$compose_version"
}

build_compose() {
  if ! command -v go >/dev/null 2>&1; then
    echo "compose: go is required to build the compose CLI (go install $compose_module/cmd@$compose_version)" >&2
    exit 1
  fi
  echo "building compose CLI $compose_version with go install (first run only)..."
  mkdir -p "$bin_dir"
  # Install into a scratch GOBIN: the binary is named `cmd`, and a half-written build must never
  # be mistaken for a good one on the next run.
  scratch="$(mktemp -d "$bin_dir/.build.XXXXXX")"
  trap 'rm -rf "$scratch"' EXIT
  # Without the linker flag the binary reports version "dev" and the cache check above never hits.
  GOBIN="$scratch" go install \
    -ldflags "-X $compose_module/internal.Version=$compose_version" \
    "$compose_module/cmd@$compose_version"
  mv -f "$scratch/cmd" "$compose_bin"
}

if [[ ! -f "$compose_file" ]]; then
  echo "compose: $compose_file not found" >&2
  exit 1
fi

compose_is_current || build_compose

# `--profile '*'` turns every profile on, so services behind a profile are validated too.
if errors="$("$compose_bin" -f "$compose_file" --profile '*' config -q 2>&1)"; then
  echo "compose: $(basename "$compose_file") is valid"
else
  echo "compose: $(basename "$compose_file") is invalid:" >&2
  echo "$errors" >&2
  exit 1
fi

# PRODUCT_IMPL (ts | go) picks the product image's final stage (Dockerfile `impl-<value>`): each
# value must render a valid file that passes it to the build, and name a stage that exists.
if [[ -z "${1:-}" ]]; then
  for impl in ts go; do
    rendered="$(PRODUCT_IMPL=$impl "$compose_bin" -f "$compose_file" config product 2>&1)" || {
      echo "compose: PRODUCT_IMPL=$impl does not render: $rendered" >&2
      exit 1
    }
    if ! grep -qE "PRODUCT_IMPL: \"?$impl\"?$" <<<"$rendered"; then
      echo "compose: PRODUCT_IMPL=$impl is not passed to the product build" >&2
      exit 1
    fi
    grep -qE "^FROM .* AS impl-$impl$" "$repo_root/Dockerfile" || {
      echo "compose: the Dockerfile has no stage impl-$impl for PRODUCT_IMPL=$impl" >&2
      exit 1
    }
  done
  grep -qE '^USER nonroot$' "$repo_root/Dockerfile" || { echo "compose: the Go product image must not run as root" >&2; exit 1; }
  echo "compose: PRODUCT_IMPL=ts|go both build the product service (Dockerfile stages impl-ts, impl-go)"
fi

# The SigNoz stack (infra/signoz/, included by the root file) runs only under its profile: a plain
# `docker compose up` must start none of its services. Skipped when checking some other file.
signoz_file="$repo_root/infra/signoz/docker-compose.yml"
if [[ -z "${1:-}" && -f "$signoz_file" ]]; then
  default_services="$("$compose_bin" -f "$compose_file" config --services)"
  observability_services="$("$compose_bin" -f "$compose_file" --profile observability config --services)"
  leaked=0
  while read -r service; do
    [[ -n "$service" ]] || continue
    if ! grep -qxF "$service" <<<"$observability_services"; then
      echo "compose: $service (infra/signoz) does not run under --profile observability" >&2
      leaked=1
    fi
    if grep -qxF "$service" <<<"$default_services"; then
      echo "compose: $service (infra/signoz) runs without --profile observability" >&2
      leaked=1
    fi
  done < <("$compose_bin" -f "$signoz_file" --profile '*' config --services)
  [[ $leaked -eq 0 ]] || exit 1
  echo "compose: the SigNoz services run only under --profile observability"
fi

# The Dockerfile installs with --frozen-lockfile, which needs every workspace manifest: a
# workspace added to the repo but not to the Dockerfile would only fail at `docker build`.
missing=0
for manifest in "$repo_root"/packages/*/package.json "$repo_root"/services/*/package.json "$repo_root"/tests/system/package.json; do
  relative="${manifest#"$repo_root"/}"
  if ! grep -q "^COPY $relative " "$repo_root/Dockerfile"; then
    echo "compose: Dockerfile does not copy $relative" >&2
    missing=1
  fi
done
[[ $missing -eq 0 ]] || exit 1
echo "compose: the Dockerfile copies every workspace manifest"
