"""The measurement subgraph's Federation v2 schema."""

from __future__ import annotations

from libs.graphql.schema import build_schema
from subgraphs.measurement.resolvers import Mutation, Query
from subgraphs.measurement.types import Measurement, User

schema = build_schema(query=Query, mutation=Mutation, types=[User, Measurement])
