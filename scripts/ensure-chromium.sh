#!/usr/bin/env bash
# Debian's Chromium for the browser tests (driven by Playwright with the system browser).
set -euo pipefail
if command -v chromium >/dev/null; then exit 0; fi
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
as_root apt-get install -y -q chromium >/dev/null 2>&1 || {
  as_root apt-get update -q >/dev/null
  as_root apt-get install -y -q chromium >/dev/null
}
chromium --version
