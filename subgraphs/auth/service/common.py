"""Values the services pass around (no Strawberry, no SQL) and the process-wide dependencies they use."""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.asyncio import Redis

from libs.auth.revocation import Revocations
from libs.config import Settings
from subgraphs.auth.adapters.mail import Mailer
from subgraphs.auth.adapters.sms import SmsVerifier
from subgraphs.auth.adapters.social import SocialProvider
from subgraphs.auth.models import UserRow
from subgraphs.auth.passwords import Passwords
from subgraphs.auth.secretbox import SecretBox
from subgraphs.auth.settings import AuthSettings
from subgraphs.auth.stores import LoginThrottle, OneTimeState, Quota


@dataclass(frozen=True, slots=True)
class ClientInfo:
    ip: str | None = None
    user_agent: str = ""
    # True when `ip` is the caller's own address: the one the router reported (signed), or the socket's peer
    # of a request that did not come through the router. False for the router's own address.
    ip_is_callers: bool = False


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True, slots=True)
class AuthSuccess:
    user: UserRow
    tokens: TokenPair


@dataclass(frozen=True, slots=True)
class TwoFactorChallenge:
    challenge_token: str
    methods: list[str]


@dataclass
class AuthDeps:
    """Process-wide collaborators, built once in the app's lifespan."""

    settings: Settings
    auth: AuthSettings
    redis: Redis
    passwords: Passwords
    secrets: SecretBox
    revocations: Revocations
    throttle: LoginThrottle
    quota: Quota
    challenges: OneTimeState
    social_states: OneTimeState
    mailer: Mailer
    sms: SmsVerifier | None
    social: dict[str, SocialProvider] = field(default_factory=dict)

