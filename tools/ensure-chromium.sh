#!/usr/bin/env bash
# Installs Debian's chromium and chromium-driver for the GraphiQL browser test (tests/router/test_graphiql_browser.py)
# when they are missing. Quiet and idempotent; never fails the build: without them the test skips (fails in CI).
set -uo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
say() { echo "ensure-chromium: $*; the GraphiQL browser test will skip (and fail in CI)" >&2; }
command -v apt-get >/dev/null || { say "no apt-get to install chromium and chromium-driver"; exit 0; }
as_root=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then as_root=(sudo -n); else
    say "installing chromium and chromium-driver needs root (apt-get install chromium chromium-driver)"; exit 0
  fi
fi
log=$(mktemp)
if "${as_root[@]}" apt-get update -qq >"$log" 2>&1 &&
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq chromium chromium-driver >>"$log" 2>&1; then
  echo "ensure-chromium: installed chromium and chromium-driver"
else
  tail -20 "$log" >&2
  say "apt-get could not install chromium and chromium-driver"
fi
rm -f "$log"
exit 0
