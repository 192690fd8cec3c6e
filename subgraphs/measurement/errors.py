"""Measurement errors: subclasses of the shared vocabulary, each carrying what a client needs to react."""

from __future__ import annotations

from libs.errors import BadUserInput, Conflict, Forbidden, NotFound

# FORBIDDEN text of every path to someone else's readings (User fields and references, Measurement entities).
OWN_MEASUREMENTS = "you may only access your own measurements"


class InvalidMeasurement(BadUserInput):
    """Type, unit, range, components or time do not make a plausible measurement."""


class CartridgeRejected(BadUserInput):
    """The cartridge reading is not acceptable; `reason` says why (for the app's message and support)."""

    def __init__(self, message: str, *, reason: str, field: str = "cartridge") -> None:
        super().__init__(message, field=field, reason=reason)
        self.reason = reason


class UnknownCartridgeLot(NotFound):
    def __init__(self, lot: str) -> None:
        super().__init__(f"unknown cartridge lot {lot!r}", field="cartridge.lot")


class DeviceNotYours(Forbidden):
    def __init__(self, field: str = "deviceId") -> None:
        super().__init__("this reader is not registered to you", field=field)


class DeviceOwnedElsewhere(Conflict):
    def __init__(self, serial: str) -> None:
        super().__init__(f"reader {serial!r} is registered to another account", field="serial")
