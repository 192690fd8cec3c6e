"""The admin subgraph's schema: its root fields and its part of the federated `User`."""

from libs.graphql.schema import build_schema
from subgraphs.admin.resolvers import Mutation, Query
from subgraphs.admin.types import User

schema = build_schema(query=Query, mutation=Mutation, types=[User])
