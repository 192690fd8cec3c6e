"""Resolvers: parse, then call the service inside the request's unit of work. Who may call a root field
is declared on it (`libs.auth.fields`: authenticated, roles); who may read a User field, on that field."""

from strawberry.tools import merge_types

from subgraphs.auth.resolvers.accounts import AccountMutation, AccountQuery
from subgraphs.auth.resolvers.admin import AdminMutation, AdminQuery
from subgraphs.auth.resolvers.sessions import SessionMutation
from subgraphs.auth.resolvers.social import SocialMutation
from subgraphs.auth.resolvers.twofactor import TwoFactorMutation

Query = merge_types("Query", (AccountQuery, AdminQuery))
Mutation = merge_types(
    "Mutation", (AccountMutation, SessionMutation, TwoFactorMutation, SocialMutation, AdminMutation)
)

__all__ = ["Mutation", "Query"]
