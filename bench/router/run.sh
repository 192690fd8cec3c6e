#!/usr/bin/env bash
# Runs the shared federation gateway benchmark (../shared/bench/gateways) with our router next to Apollo Gateway,
# Hive Gateway, Grafbase... Extra arguments replace the default target list. Our targets:
#   py      the router as deployed: metrics on (ROUTER_METRICS), no traces
#   pyoff   telemetry off (ROUTER_METRICS=off, no OTLP endpoint)
#   pytel   metrics and traces: OTLP/HTTP to bench/router/otlp_sink.py (started here), sampled at
#           TRACE_SAMPLE (default 0.01, the compose file's default; parentbased_traceidratio)
#   bench/router/run.sh                          # apollo hive py, scenarios main+fanout, 3 rounds
#   ROUNDS=1 SCENARIOS=fanout bench/router/run.sh py
#   bench/router/run.sh apollo pyoff py pytel    # what telemetry costs (issue 15)
#   ROUTER_FLAGS= bench/router/run.sh            # with in-flight deduplication (default: --no-dedup,
#                                                # every fetch made, as issue 9's target is measured)
# Knobs are those of the shared harness (DURATION, WARMUP, ROUNDS, SCENARIOS, ...; see its README.md).
# The benchmark's `main` query costs 22 325 under the edge's cost model, so the routers run with a budget above it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
bench="${GATEWAY_BENCH_DIR:-$repo/../shared/bench/gateways}"
[ -x "$bench/run.sh" ] || { echo "benchmark harness not found at $bench (set GATEWAY_BENCH_DIR)" >&2; exit 2; }
py="$repo/.venv/bin/python"
[ -x "$py" ] || py="$(command -v python3)"
flags="${ROUTER_FLAGS---no-dedup} --max-cost 100000"
router="exec '$py' -m router --supergraph {supergraph} --port {port} $flags"
sink_port="${OTLP_SINK_PORT:-4318}"
export GATEWAY_CMD_py="cd '$repo' && $router"
export GATEWAY_CMD_pyoff="cd '$repo' && ROUTER_METRICS=off $router"
export GATEWAY_CMD_pytel="cd '$repo' && OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$sink_port \
OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=${TRACE_SAMPLE:-0.01} $router"
export SCENARIOS="${SCENARIOS:-all}"
if [ "$#" -eq 0 ]; then set -- apollo hive py; fi
if [[ " $* " == *" pytel "* ]]; then
  "$py" "$repo/bench/router/otlp_sink.py" --port "$sink_port" &
  sink=$!
  trap 'kill $sink 2>/dev/null; wait $sink 2>/dev/null' EXIT
fi
"$bench/run.sh" "$@"
