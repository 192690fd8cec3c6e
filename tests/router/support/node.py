"""The npm tools of the interoperability tests: one install in tools/node (tools/ci-extras.sh)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from router.compose import SubgraphSDL
from tests.router.federation_fixtures.processes import COMPOSE_JS, NODE_DIR, require_node_tools


def interop_dir() -> Path:
    """tools/node, its packages installed; skips locally (fails in CI) without them or Node.js."""
    require_node_tools()
    return NODE_DIR


def theguild_compose(subs: list[SubgraphSDL]) -> str:
    """The supergraph @theguild/federation-composition makes of these subgraphs."""
    node = require_node_tools()
    with tempfile.TemporaryDirectory() as tmp:
        args = []
        for s in subs:
            path = Path(tmp) / f"{s.name}.graphql"
            path.write_text(s.sdl)
            args.append(f"{s.name}={s.url}@{path}")
        proc = subprocess.run([node, str(COMPOSE_JS), *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout
