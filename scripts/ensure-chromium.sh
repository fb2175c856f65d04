#!/usr/bin/env bash
# Debian packages beyond Python's: Chromium for the browser tests (driven by Playwright with
# the system browser) and HarfBuzz's subsetter, which WeasyPrint needs for the PDF reports.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
ldconfig -p | grep -q libharfbuzz-subset || missing+=(libharfbuzz-subset0)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
as_root apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
  as_root apt-get update -q >/dev/null
  as_root apt-get install -y -q "${missing[@]}" >/dev/null
}
chromium --version
