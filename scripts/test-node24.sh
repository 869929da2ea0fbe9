#!/usr/bin/env bash
# Runs the unit and property tests once more under Node 24: users run 22 and 24 while the
# machines here run 20. The npm registry's `node` package carries the Node 24 binary.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=.tmp/node24
node24="$dir/node_modules/node/bin/node"
if [ ! -x "$node24" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund node@24 >/dev/null
fi
echo "node24: $("$node24" --version)"
node scripts/watchdog.mjs 900 "$node24" node_modules/vitest/vitest.mjs run --project '*:unit' --project '*:prop'
