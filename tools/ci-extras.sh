#!/usr/bin/env bash
# Installs the npm tools of the federation interoperability tests: tools/node (tests/router/composition,
# tests/router/differential: @theguild/federation-composition, @graphql-hive/gateway) and tools/apollo-oracle
# (tests/router/test_conformance.py: @apollo/gateway, an oracle in tests only, kept apart so that nothing in
# tools/node can lean on @apollo/composition). Skips a folder whose node_modules matches its package-lock.json.
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "ci-extras: node and npm are required (the federation comparison tests use them)" >&2
  exit 1
fi

install() {  # install DIR PACKAGE...: npm ci in DIR unless its stamp matches and the packages are there
  local dir="$root/$1"
  shift
  cd "$dir"
  local stamp=node_modules/.manpasik-lock.sha256
  local want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  local ok=1
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] || ok=0
  for pkg in "$@"; do
    [ -f "node_modules/$pkg/package.json" ] || ok=0
  done
  if [ "$ok" = 1 ]; then
    echo "ci-extras: $dir/node_modules is up to date"
    return
  fi
  local log
  log=$(mktemp)
  if ! npm ci --no-audit --no-fund >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "ci-extras: npm ci failed in $dir" >&2
    exit 1
  fi
  rm -f "$log"
  echo "$want" >"$stamp"
  echo "ci-extras: installed $dir/node_modules ($(node --version))"
}

install node @graphql-hive/gateway @theguild/federation-composition
install apollo-oracle @apollo/gateway @apollo/server
