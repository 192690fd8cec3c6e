"""Coaching's domain errors (subclasses of the shared vocabulary)."""

from __future__ import annotations

from libs.errors import NotFound


class InsightNotFound(NotFound):
    def __init__(self, insight_id: str) -> None:
        super().__init__("insight not found", insightId=insight_id)
