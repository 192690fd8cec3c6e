"""The per-request context of the measurement subgraph and the typed `Info` its resolvers receive."""

from __future__ import annotations

from strawberry.types import Info as StrawberryInfo

from libs.graphql.context import Context
from subgraphs.measurement.resources import MeasurementResources
from subgraphs.measurement.service import MeasurementService


class MeasurementContext(Context[MeasurementResources]):
    @property
    def service(self) -> MeasurementService:
        return self.resources.service


Info = StrawberryInfo[MeasurementContext, None]
