"""The coaching subgraph's schema: its root fields and its part of the federated `User` and `Insight`."""

from libs.graphql.schema import build_schema
from subgraphs.coaching.resolvers import Mutation, Query, Subscription
from subgraphs.coaching.types import Insight, Measurement, User

schema = build_schema(query=Query, mutation=Mutation, subscription=Subscription,
                      types=[User, Insight, Measurement])
