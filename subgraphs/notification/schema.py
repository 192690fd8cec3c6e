from libs.graphql.schema import build_schema
from subgraphs.notification.resolvers import Mutation, Query, Subscription
from subgraphs.notification.types import User

schema = build_schema(query=Query, mutation=Mutation, subscription=Subscription, types=[User])
