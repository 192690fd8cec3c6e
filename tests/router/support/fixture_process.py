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
from typing import Any

from tests.router.support.fixture_subgraph import FixtureSubgraph


async def main(spec: dict[str, Any], port: int) -> None:
    sub = FixtureSubgraph(spec["name"], spec["sdl"], spec.get("data", {}))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await sub.start(port)
    print("ready", flush=True)
    await stop.wait()
    await sub.stop()


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text()), int(sys.argv[2])))
