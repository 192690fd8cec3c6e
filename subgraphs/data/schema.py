"""The data subgraph's schema: admin root fields, `requestDataExport`, its part of the federated `User`."""

from libs.graphql.schema import build_schema
from subgraphs.data.resolvers import Mutation, Query
from subgraphs.data.types import User

schema = build_schema(query=Query, mutation=Mutation, types=[User])
