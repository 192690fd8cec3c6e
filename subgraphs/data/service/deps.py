"""What the data services need besides their repository."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from libs.config import Settings
from libs.crypto import DataKeys
from libs.time import utcnow
from subgraphs.data.links import ExportLinks
from subgraphs.data.settings import DataSettings

CONSUMER_GROUP = "data"
SOURCE = "/subgraphs/data"


@dataclass(frozen=True, slots=True)
class DataDeps:
    settings: Settings
    own: DataSettings
    keys: DataKeys  # the unwrapped data keys, in memory only
    links: ExportLinks
    clock: Callable[[], datetime] = utcnow
