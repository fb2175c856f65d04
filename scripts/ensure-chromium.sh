#!/usr/bin/env bash
# Debian packages beyond Python's: Chromium's headless shell for the browser tests and the
# page benchmark (driven by Playwright; the engine of Debian's chromium without its browser
# shell, as Playwright runs headless) and HarfBuzz's subsetter, which WeasyPrint needs for
# the PDF reports.
set -euo pipefail
missing=()
command -v chromium-headless-shell >/dev/null || missing+=(chromium-headless-shell)
ldconfig -p | grep -q libharfbuzz-subset || missing+=(libharfbuzz-subset0)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
as_root apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
  as_root apt-get update -q >/dev/null
  as_root apt-get install -y -q "${missing[@]}" >/dev/null
}
chromium-headless-shell --version
