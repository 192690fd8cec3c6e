"""An OTLP/HTTP trace sink for benchmarks: accepts `POST /v1/traces` (protobuf), counts the spans, answers
at once. A router benchmarked with tracing on exports here, so the export costs what it costs in production
(encoding and sending from the batch thread) without a collector competing for the cores.

    .venv/bin/python bench/router/otlp_sink.py --port 4318   # prints the span count every 10 s and at exit
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from aiohttp import web


class SpanSink:
    """Receives OTLP/HTTP trace exports (`POST /v1/traces`) and counts their spans."""

    def __init__(self) -> None:
        self.spans = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self, port: int = 0) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        async def traces(request: web.Request) -> web.Response:
            req = ExportTraceServiceRequest()
            req.ParseFromString(await request.read())
            self.spans += sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans)
            return web.Response(body=b"", content_type="application/x-protobuf")

        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/traces", traces)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()  # 0: any free port, read back below
        bound = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{bound}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=4318)
    args = ap.parse_args()
    sink = SpanSink()
    await sink.start(args.port)
    print(f"otlp sink on {sink.url} (export with OTEL_EXPORTER_OTLP_ENDPOINT={sink.url})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 10)
        print(f"spans received: {sink.spans}", flush=True)
    await sink.stop()


if __name__ == "__main__":
    asyncio.run(main())
