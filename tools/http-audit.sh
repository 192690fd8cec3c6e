#!/usr/bin/env bash
# The GraphQL-over-HTTP audit (graphql-http's serverAudits) against the real router process serving the
# project's supergraph: every audit must pass (ok, no warnings). The audit only asks `__typename` and
# introspection, so no subgraph needs to run. CSRF prevention is turned off for this run: three of the audit's
# GET requests (5A70, D6D5, 6A70) carry no preflight header, which the router's default refuses as a possible
# CSRF; tests/router/test_transport_protocols.py checks that the default refuses exactly those three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
bash tools/ci-extras.sh >/dev/null
out=$(mktemp)
"$PY" -m router serve --supergraph schema/supergraph.graphql --port 0 --no-csrf-prevention >"$out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  url=$(sed -n 's/^router ready on //p' "$out")
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$out" >&2; exit 1; }
  sleep 0.2
done
[ -n "$url" ] || { echo "http-audit: the router did not start" >&2; cat "$out" >&2; exit 1; }
node tools/node/http-audit.mjs "$url"
