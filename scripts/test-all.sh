#!/usr/bin/env bash
# Everything the tests need, then every check and every test: the README's test command.
#   server binaries → dependencies → lint → typecheck → build → all Vitest projects
#   (unit, property, type, integration on real Redis/Valkey, reference servers) → package checks
#   (publint, attw, each packed tarball installed alone into an empty project).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s ===\n' "$*"; }

step "server binaries"
bash scripts/install-servers.sh

step "browser"
bash scripts/install-browser.sh

step "dependencies"
pnpm install --frozen-lockfile

step "lint"
pnpm lint

step "typecheck"
pnpm typecheck

step "build"
pnpm build

step "tests (unit, property, type, integration)"
# A whole run takes about 8 minutes here. The watchdog turns a hang into exit 124 with a diagnosis
# (each Node process's stack and open handles, the process tree) long before CI's own limit, and
# verbose output lists each test as it ends, so the last lines before a hang say where it was.
# A hang, and only a hang, is run once more: a failing test fails the run at once.
run_tests() { node scripts/watchdog.mjs 900 pnpm test --reporter=verbose; }
status=0
run_tests || status=$?
if [ "$status" -eq 124 ]; then
  step "the test run hung (diagnosis above): running it once more"
  run_tests
elif [ "$status" -ne 0 ]; then
  exit "$status"
fi

step "package checks (publint, attw, standalone installs)"
pnpm check:packages
