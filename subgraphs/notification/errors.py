"""Notification's domain errors."""

from __future__ import annotations

from libs.errors import BadUserInput


class InvalidTimeZone(BadUserInput):
    def __init__(self, value: str) -> None:
        super().__init__(f"unknown time zone {value!r} (use an IANA name such as Asia/Seoul)",
                         field="timeZone")
