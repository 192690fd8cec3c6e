#!/usr/bin/env bash
# Installs the npm tools the router's interop tests use (Hive Gateway, @theguild/federation-composition)
# into tests/router/interop/node_modules.  Called by .ci/run; safe to run again (no-op when up to date).
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null || { echo "npm not found: install Node.js 20+" >&2; exit 1; }
if [ -f package-lock.json ]; then
  [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] && exit 0
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
