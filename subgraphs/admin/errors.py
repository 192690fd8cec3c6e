"""The admin subgraph's domain errors (subclasses of the shared vocabulary)."""

from __future__ import annotations

from libs.errors import Conflict, NotFound


class ReportNotFound(NotFound):
    def __init__(self, report_id: str) -> None:
        super().__init__("report not found", reportId=report_id)


class ReportClosed(Conflict):
    def __init__(self, report_id: str, status: str) -> None:
        super().__init__(f"the report is already {status.lower()}", reportId=report_id, status=status)
