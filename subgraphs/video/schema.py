"""The video subgraph's schema: its root fields, its entities and its part of the federated `User`."""

from libs.graphql.schema import build_schema
from subgraphs.video.resolvers import Mutation, Query, Subscription
from subgraphs.video.types import Consultation, Doctor, Prescription, User

schema = build_schema(query=Query, mutation=Mutation, subscription=Subscription,
                      types=[User, Doctor, Consultation, Prescription])
