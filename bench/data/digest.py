"""What tamper evidence adds to `recordMeasurement`: the digest computed in the write (CPU per measurement).

    .venv/bin/python bench/data/digest.py [--n 20000]

Prints microseconds per digest for a plain reading and a blood-pressure panel; compare with the subgraph's
CPU per request that bench/measurement/record.py prints (a few milliseconds).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from subgraphs.measurement.catalogue import MeasurementSource, MeasurementType
from subgraphs.measurement.domain import Component, Measurement
from subgraphs.measurement.integrity import record_digest


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    n = ap.parse_args().n
    now = datetime.now(UTC)
    glucose = Measurement(
        user_id="u" * 32,
        type=MeasurementType.BLOOD_GLUCOSE,
        loinc="41653-7",
        source=MeasurementSource.MANUAL,
        taken_at=now,
        client_id="c" * 16,
        value=98.0,
        unit="mg/dL",
        recorded_at=now,
        id="65f0c0ffee0000000000abcd",
    )
    pressure = Measurement(
        user_id="u" * 32,
        type=MeasurementType.BLOOD_PRESSURE,
        loinc="85354-9",
        source=MeasurementSource.MANUAL,
        taken_at=now,
        client_id="d" * 16,
        value=None,
        unit=None,
        components=(
            Component("SYSTOLIC", "8480-6", 128, "mm[Hg]"),
            Component("DIASTOLIC", "8462-4", 82, "mm[Hg]"),
        ),
        recorded_at=now,
        id="65f0c0ffee0000000000abce",
    )
    for name, m in (("glucose", glucose), ("blood pressure", pressure)):
        start = time.process_time()
        for _ in range(n):
            record_digest(m)
        per = (time.process_time() - start) / n * 1e6
        print(f"{name:15s} {per:7.1f} us CPU per digest ({n} digests)")


if __name__ == "__main__":
    main()
