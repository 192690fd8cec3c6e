"""The npm tools of tests/router/interop (installed on first use by its install.sh)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

INTEROP = Path(__file__).resolve().parent.parent / "interop"


def interop_dir() -> Path:
    """Installs the interop packages when missing; skips only when Node.js/npm are absent."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed for the interop tests")
    if (
        not (INTEROP / "node_modules" / "@theguild" / "federation-composition").exists()
        or not (INTEROP / "node_modules" / "@graphql-hive" / "gateway").exists()
    ):
        subprocess.run([str(INTEROP / "install.sh")], check=True, timeout=600)
    return INTEROP
