"""The payment subgraph's schema: its root fields and its part of the federated `User`."""

from libs.graphql.schema import build_schema
from subgraphs.payment.resolvers import Mutation, Query
from subgraphs.payment.types import User

schema = build_schema(query=Query, mutation=Mutation, types=[User])
