#!/usr/bin/env bash
# Builds the Go product service (PRODUCT_IMPL=go) and prints the binary's path. Go's build cache
# makes a rebuild of unchanged sources take about a second; the first build downloads the pinned
# modules (go.mod at the repository root) from the module proxy.
set -euo pipefail
cd "$(dirname "$0")/../../.."
command -v go >/dev/null 2>&1 || { echo "PRODUCT_IMPL=go needs Go (https://go.dev/dl, or apt-get install golang)" >&2; exit 1; }
bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/flash-deal/bin"
mkdir -p "$bin_dir"
binary="$bin_dir/product-go-$(printf '%s' "$PWD" | sha256sum | cut -c1-8)"
CGO_ENABLED=0 go build -trimpath -o "$binary" ./services/product/go/cmd/product >&2
echo "$binary"
