from libs.graphql.schema import build_schema
from subgraphs.coaching.resolvers import Mutation, Query, Subscription
from subgraphs.coaching.types import Insight, Measurement, User

schema = build_schema(query=Query, mutation=Mutation, subscription=Subscription,
                      types=[User, Insight, Measurement])
