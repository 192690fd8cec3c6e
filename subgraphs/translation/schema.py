"""The translation subgraph's schema: its root fields (no part of `User`: User.locale is auth's)."""

from libs.graphql.schema import build_schema
from subgraphs.translation.resolvers import Mutation, Query

schema = build_schema(query=Query, mutation=Mutation)
