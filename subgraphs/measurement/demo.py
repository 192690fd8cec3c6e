"""Demo cartridge lots for the embedded dev stack only (`test` and `prod` never get them or their key).

A tag's SUN message for GraphiQL: `python -m subgraphs.measurement.demo 04A1B2C3D4E5F6 1` prints the
authMessage of cartridge uid 04A1B2C3D4E5F6 at read counter 1 in lot DEMO-GLU-001.
"""

from __future__ import annotations

import sys
from datetime import timedelta

from libs.time import utcnow
from subgraphs.measurement import sun
from subgraphs.measurement.catalogue import MeasurementType
from subgraphs.measurement.service import MeasurementService

# Published on purpose: it authenticates demo cartridges in dev and nothing else.
DEMO_KEY = bytes.fromhex("6d616e706173696b2d64656d6f2d6b31")
DEMO_LOTS: dict[str, MeasurementType] = {
    "DEMO-GLU-001": MeasurementType.BLOOD_GLUCOSE,
    "DEMO-A1C-001": MeasurementType.HBA1C,
    "DEMO-LIP-001": MeasurementType.LIPID_PANEL,
}


def demo_keys() -> dict[str, bytes]:
    return dict.fromkeys(DEMO_LOTS, DEMO_KEY)


async def seed_demo_lots(service: MeasurementService) -> None:
    expires = utcnow().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=365)
    for lot, type_ in DEMO_LOTS.items():
        await service.register_lot(lot, type_, expires, [1.0, 0.0])


if __name__ == "__main__":
    uid, counter = sys.argv[1], int(sys.argv[2])
    print(sun.encode(DEMO_KEY, uid, counter))
