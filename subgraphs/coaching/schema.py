from libs.graphql.schema import build_schema
from subgraphs.coaching.resolvers import Query, Subscription
from subgraphs.coaching.types import Insight, Measurement, User

schema = build_schema(query=Query, subscription=Subscription, types=[User, Insight, Measurement])
