"""The measurement subgraph's Federation v2 schema."""

from __future__ import annotations

from strawberry.extensions import ParserCache, ValidationCache

from libs.graphql.schema import build_schema
from subgraphs.measurement.resolvers import Mutation, Query, User
from subgraphs.measurement.types import Measurement

schema = build_schema(query=Query, mutation=Mutation, types=[User, Measurement])
# Re-parsing and re-validating the same operation text cost ~40 % of a recordMeasurement (profiled). Both
# caches are bounded LRUs keyed by text (parser) and schema + document (validation). Belongs in build_schema.
schema.extensions = (*schema.extensions, ParserCache, ValidationCache)
