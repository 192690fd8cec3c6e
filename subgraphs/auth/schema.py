from libs.graphql.schema import build_schema
from subgraphs.auth.resolvers import Mutation, Query
from subgraphs.auth.types import AuthSuccess, TwoFactorChallenge, User

schema = build_schema(query=Query, mutation=Mutation, types=[User, AuthSuccess, TwoFactorChallenge])
