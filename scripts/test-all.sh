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

step "dependencies"
pnpm install --frozen-lockfile

step "lint"
pnpm lint

step "typecheck"
pnpm typecheck

step "build"
pnpm build

step "tests (unit, property, type, integration)"
pnpm test

step "package checks (publint, attw, standalone installs)"
pnpm check:packages
