"""The data subgraph's domain errors (subclasses of the shared vocabulary)."""

from __future__ import annotations

from libs.errors import BadUserInput, Forbidden, NotFound


class ExportNotFound(NotFound):
    def __init__(self, export_id: str) -> None:
        super().__init__("export not found", exportId=export_id)


class ExportNotReady(NotFound):
    def __init__(self, export_id: str, status: str) -> None:
        super().__init__(f"export is {status.lower()}, not ready to download", exportId=export_id)


class InvalidLink(Forbidden):
    def __init__(self, reason: str) -> None:
        super().__init__(f"download link {reason}")


class InvalidPage(BadUserInput):
    pass
