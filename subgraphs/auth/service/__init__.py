"""The auth rules. Knows neither Strawberry nor SQL: resolvers call these with a repository."""

from subgraphs.auth.service.accounts import AccountService
from subgraphs.auth.service.common import AuthDeps, AuthSuccess, ClientInfo, TokenPair, TwoFactorChallenge
from subgraphs.auth.service.sessions import SessionService

__all__ = [
    "AccountService",
    "AuthDeps",
    "AuthSuccess",
    "ClientInfo",
    "SessionService",
    "TokenPair",
    "TwoFactorChallenge",
]
