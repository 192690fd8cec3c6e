"""The per-request context of the measurement subgraph and the typed `Info` its resolvers receive."""

from __future__ import annotations

from strawberry.types import Info as StrawberryInfo

from libs.graphql.context import StoreContext
from subgraphs.measurement.repository import MeasurementRepository
from subgraphs.measurement.resources import MeasurementResources


class MeasurementContext(StoreContext[MeasurementResources, MeasurementRepository]):
    """`unit_of_work()` / `read()` yield the `MeasurementRepository` (MongoDB: no transaction, see
    repository.py); services get it with `resources.deps`."""


Info = StrawberryInfo[MeasurementContext, None]
