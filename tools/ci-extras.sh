#!/usr/bin/env bash
# Installs the npm tools of the federation interoperability tests (tests/router/composition,
# tests/router/differential, tests/router/test_conformance.py) into tools/node/node_modules:
# @theguild/federation-composition, @graphql-hive/gateway and @apollo/gateway (an oracle in tests only).
# Skips the install when node_modules already matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/node"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "ci-extras: node and npm are required (the federation comparison tests use them)" >&2
  exit 1
fi
stamp=node_modules/.manpasik-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
  && [ -f node_modules/@graphql-hive/gateway/package.json ] \
  && [ -f node_modules/@theguild/federation-composition/package.json ] \
  && [ -f node_modules/@apollo/gateway/package.json ]; then
  echo "ci-extras: tools/node/node_modules is up to date"
  exit 0
fi
log=$(mktemp)
if ! npm ci --no-audit --no-fund >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "ci-extras: npm ci failed in tools/node" >&2
  exit 1
fi
rm -f "$log"
echo "$want" >"$stamp"
echo "ci-extras: installed tools/node/node_modules ($(node --version))"
