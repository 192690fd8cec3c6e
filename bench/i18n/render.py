"""CPU cost of wording messages in-process (libs.i18n): what coaching pays per insight (every supported
locale) and notification per notification, with no network call. Prints CPU microseconds per render
(process user+sys time, so a busy machine changes the figures less than wall-clock would).

    .venv/bin/python bench/i18n/render.py [--n 2000]
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from decimal import Decimal

from libs.i18n import Catalogue
from subgraphs.coaching.domain import Severity
from subgraphs.coaching.rules import Finding
from subgraphs.coaching.rules.sources import TIR_CONSENSUS
from subgraphs.coaching.wording import render as word_insight
from subgraphs.notification.domain import NotificationType
from subgraphs.notification.wording import render as word_notification


def cpu() -> float:
    t = os.times()
    return t.user + t.system


def per_call(n: int, call: object) -> float:
    assert callable(call)
    start = cpu()
    for _ in range(n):
        call()
    return (cpu() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    n = parser.parse_args().n
    start = cpu()
    catalogue = Catalogue.seeded()
    parsed = (cpu() - start) * 1e3
    print(f"catalogue: {len(list(catalogue))} templates parsed in {parsed:.1f} ms CPU (once per process)")
    at = datetime(2026, 12, 7, 6, 5, tzinfo=UTC)
    finding = Finding("glucose.level2_hyperglycaemia", Severity.WARNING, TIR_CONSENSUS, ("m1",),
                      {"value": "320", "mmol": "17.8"})
    us = per_call(n, lambda: word_insight(finding, "BLOOD_GLUCOSE", catalogue, at))
    print(f"coaching insight, 4 locales: {us:.0f} us CPU per insight")
    params = {"doctorName": "Dr Kim", "minutesBefore": 10, "scheduledAt": at}
    reminder = NotificationType.CONSULTATION_REMINDER
    for locale in ("ko-KR", "en-US", "ja-JP"):
        us = per_call(n, lambda loc=locale: word_notification(catalogue, reminder, loc, params))  # type: ignore[misc]
        print(f"notification CONSULTATION_REMINDER {locale}: {us:.0f} us CPU per message")
    us = per_call(n, lambda: catalogue.localize("notification.unread.summary", "en", {"count": Decimal(3)}))
    print(f"plural message: {us:.0f} us CPU per render")


if __name__ == "__main__":
    main()
