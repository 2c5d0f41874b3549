#!/usr/bin/env bash
# Installs Debian's Chromium for the headless browser check (tests/system/browser/swagger-ui.ts), once: nothing
# happens when /usr/bin/chromium is already there. Debian packages only (apt-get), like the
# rest of the local infrastructure; Playwright's own browser downloads are never used.
set -euo pipefail

[[ -x /usr/bin/chromium ]] && exit 0

sudo=()
if (( EUID != 0 )); then
  command -v sudo >/dev/null 2>&1 || { echo "install-chromium: not root and no sudo: install the 'chromium' package first" >&2; exit 1; }
  sudo=(sudo)
fi
echo "==> chromium: installing the Debian package (apt) for the headless browser check"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version
