"""One fixture subgraph as a process of its own, so a test can kill it and start it again:

    python -m tests.router.support.fixture_process SPEC.json PORT     SPEC: {"name", "sdl", "data"}

Prints `ready` once it listens; SIGTERM (or SIGKILL) ends it.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from tests.router.support.fixture_subgraph import FixtureSubgraph


async def main(spec_file: str, port: int) -> None:
    spec = json.loads(Path(spec_file).read_text())
    sub = FixtureSubgraph(spec["name"], spec["sdl"], spec.get("data", {}))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await sub.start(port)
    print("ready", flush=True)
    await stop.wait()
    await sub.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
