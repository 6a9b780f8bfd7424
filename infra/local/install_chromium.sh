#!/usr/bin/env bash
# The web viewer's browser tests drive Debian's Chromium through Playwright (no browser is
# downloaded at run time). Installs it from Debian's packages when it is missing.
set -euo pipefail
if command -v chromium >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "ERROR: chromium is missing; install Debian's 'chromium' package (apt-get install chromium) as root" >&2
  exit 1
fi
echo "installing Debian's chromium for the web viewer's browser tests..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null || { echo "ERROR: chromium did not install" >&2; exit 1; }
