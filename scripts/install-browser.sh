#!/usr/bin/env bash
# Installs the browser the WebSocket browser test drives: Debian's Chromium at /usr/bin/chromium
# (playwright-core launches it by path; no browser is downloaded by any npm package). Does nothing
# when it is present.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "install-browser: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: /usr/bin/chromium missing and this is not a Debian-like system;" >&2
  echo "install Chromium so that /usr/bin/chromium exists, then re-run." >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q chromium

[ -x /usr/bin/chromium ] || { echo "install-browser: /usr/bin/chromium still missing after install" >&2; exit 1; }
echo "install-browser: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
