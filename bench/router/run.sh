#!/usr/bin/env bash
# Runs the shared federation gateway benchmark (../shared/bench/gateways) with our router as target "py"
# next to Apollo Gateway and Hive Gateway.  Extra arguments replace the default target list.
#   bench/router/run.sh                         # apollo hive py, scenarios main+fanout, 3 rounds
#   ROUNDS=1 SCENARIOS=fanout bench/router/run.sh py
#   ROUTER_FLAGS= bench/router/run.sh            # with in-flight deduplication (default: --no-dedup,
#                                                # every fetch made, as issue 9's target is measured)
# Knobs are those of the shared harness (DURATION, WARMUP, ROUNDS, SCENARIOS, ...; see its README.md).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
bench="${GATEWAY_BENCH_DIR:-$repo/../shared/bench/gateways}"
[ -x "$bench/run.sh" ] || { echo "benchmark harness not found at $bench (set GATEWAY_BENCH_DIR)" >&2; exit 2; }
py="$repo/.venv/bin/python"
[ -x "$py" ] || py="$(command -v python3)"
flags="${ROUTER_FLAGS---no-dedup}"
export GATEWAY_CMD_py="cd '$repo' && exec '$py' -m router --supergraph {supergraph} --port {port} $flags"
export SCENARIOS="${SCENARIOS:-all}"
if [ "$#" -eq 0 ]; then set -- apollo hive py; fi
exec "$bench/run.sh" "$@"
