"""GraphQL types of the auth subgraph (never the tables themselves)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.permission import PermissionExtension

from libs.auth import Role as RoleEnum
from libs.auth import require_viewer
from libs.auth.fields import Authenticated, OwnerOrRoles
from libs.time import as_utc
from subgraphs.auth import loaders
from subgraphs.auth.context import Info
from subgraphs.auth.models import SessionRow, UserRow
from subgraphs.auth.service.common import TokenPair

Role = strawberry.enum(RoleEnum, name="Role", description="USER | DOCTOR | SUPPORT | ADMIN")

# Who may read a user's private fields besides the user: support staff and administrators.
STAFF = (RoleEnum.SUPPORT, RoleEnum.ADMIN)


# Field permissions (libs.auth.fields), with one case more: in a signUp or logIn answer the caller has just
# proved to be this user but holds no token yet (`User.authenticated_as`).
def _just_authenticated(source: Any) -> bool:
    return isinstance(source, User) and source.authenticated_as


class _SelfOrStaff(OwnerOrRoles):
    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return _just_authenticated(source) or super().has_permission(source, info, **kwargs)


class _SignedIn(Authenticated):
    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return _just_authenticated(source) or super().has_permission(source, info, **kwargs)


def self_or_staff() -> PermissionExtension:
    """`owner_or_roles(SUPPORT, ADMIN, owner=the user's id)`: the user themself, support staff, admins."""
    permission = _SelfOrStaff(*STAFF, owner=lambda user: str(user.id))
    return PermissionExtension(permissions=[permission], use_directives=False)


def signed_in() -> PermissionExtension:
    """`authenticated()`: anyone signed in (a patient sees the doctor's name)."""
    return PermissionExtension(permissions=[_SignedIn()], use_directives=False)


@strawberry.enum
class UserStatus(Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


@strawberry.federation.type(keys=["id"])
class User:
    """A ManPaSik account. `displayName` is visible to any signed-in user (a patient sees the doctor's name);
    the rest only to the user themself and to SUPPORT/ADMIN (`self_or_staff` on each field)."""

    id: strawberry.ID
    row: strawberry.Private[UserRow]
    # True in a signUp/logIn answer: the caller just proved to be this user but holds no token yet.
    authenticated_as: strawberry.Private[bool] = False

    @classmethod
    def from_row(cls, row: UserRow, *, authenticated_as: bool = False) -> User:
        return cls(
            id=strawberry.ID(row.id),
            row=row,
            authenticated_as=authenticated_as,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> User | None:
        require_viewer(info.context.viewer)  # anonymous callers learn nothing, not even that an id exists
        row = await loaders.users(info.context).load(str(id))
        return cls.from_row(row) if row is not None else None

    @strawberry.field(extensions=[signed_in()])
    def display_name(self) -> str:
        return self.row.display_name

    @strawberry.field(extensions=[self_or_staff()])
    def email(self) -> str:
        return self.row.email

    @strawberry.field(extensions=[self_or_staff()])
    def email_verified(self) -> bool:
        return self.row.email_verified

    @strawberry.field(extensions=[self_or_staff()])
    def locale(self) -> str:
        return self.row.locale

    @strawberry.field(extensions=[self_or_staff()])
    def roles(self) -> list[Role]:  # type: ignore[valid-type]
        return [RoleEnum(r) for r in self.row.role_list]

    @strawberry.field(extensions=[self_or_staff()])
    def status(self) -> UserStatus:
        return UserStatus(self.row.status)

    @strawberry.field(extensions=[self_or_staff()])
    def created_at(self) -> datetime:
        return as_utc(self.row.created_at)

    @strawberry.field(extensions=[self_or_staff()])
    def last_login_at(self) -> datetime | None:
        value = self.row.last_login_at
        return as_utc(value) if value else None

    @strawberry.field(extensions=[self_or_staff()])
    def two_factor_enabled(self) -> bool:
        return self.row.totp_secret is not None

    @strawberry.field(extensions=[self_or_staff()])
    def phone_verified(self) -> bool:
        return self.row.phone is not None

    @strawberry.field(description="Active sessions (devices), most recently used first.",
                      extensions=[self_or_staff()])
    async def sessions(self, info: Info) -> list[Session]:
        rows = await loaders.sessions_by_user(info.context).load(self.row.id)
        return [Session.from_row(s, info.context.viewer.session_id) for s in rows]


@strawberry.type
class Session:
    id: strawberry.ID
    device: str
    ip: str | None
    created_at: datetime
    last_used_at: datetime
    current: bool = strawberry.field(description="the session of the token making this request")

    @classmethod
    def from_row(cls, row: SessionRow, current_sid: str | None) -> Session:
        return cls(
            id=strawberry.ID(row.id),
            device=row.device,
            ip=row.ip,
            created_at=as_utc(row.created_at),
            last_used_at=as_utc(row.last_used_at),
            current=row.id == current_sid,
        )


@strawberry.type
class AuthTokens:
    access_token: str
    refresh_token: str
    expires_in: int = strawberry.field(description="seconds until the access token expires")
    token_type: str

    @classmethod
    def from_pair(cls, pair: TokenPair) -> AuthTokens:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
            token_type=pair.token_type,
        )


@strawberry.type
class AuthSuccess:
    user: User
    tokens: AuthTokens


@strawberry.enum
class TwoFactorMethod(Enum):
    TOTP = "TOTP"
    SMS = "SMS"
    BACKUP_CODE = "BACKUP_CODE"


@strawberry.type
class TwoFactorChallenge:
    challenge_token: str
    methods: list[TwoFactorMethod]


AuthResult = Annotated[AuthSuccess | TwoFactorChallenge, strawberry.union("AuthResult")]


@strawberry.input
class SignUpInput:
    # Optional in the schema so that a missing field is reported as BAD_USER_INPUT naming it.
    email: str | None = None
    password: str | None = None
    display_name: str | None = None
    locale: str | None = strawberry.field(default=None, description='BCP 47 tag, default "ko-KR"')


@strawberry.input
class LogInInput:
    email: str | None = None
    password: str | None = None


@strawberry.input
class VerifyTwoFactorInput:
    challenge_token: str | None = None
    code: str | None = strawberry.field(default=None, description="TOTP, SMS code or a one-time backup code")


@strawberry.type
class TotpEnrollment:
    secret: str
    provisioning_uri: str


@strawberry.type
class TotpConfirmation:
    backup_codes: list[str] = strawberry.field(description="shown once; each works one time")


@strawberry.enum
class SocialProvider(Enum):
    GOOGLE = "GOOGLE"
    KAKAO = "KAKAO"
    NAVER = "NAVER"


@strawberry.input
class StartSocialLogInInput:
    provider: SocialProvider
    redirect_uri: str | None = None
    code_challenge: str | None = strawberry.field(default=None, description="PKCE S256 (required for KAKAO)")


@strawberry.type
class SocialAuthorization:
    authorization_url: str
    state: str


@strawberry.input
class SocialLogInInput:
    provider: SocialProvider
    authorization_code: str | None = None
    code_verifier: str | None = strawberry.field(default=None, description="PKCE verifier")
    redirect_uri: str | None = None
    state: str | None = strawberry.field(default=None, description="from startSocialLogIn")


@strawberry.input
class ChangePasswordInput:
    current_password: str | None = None
    new_password: str | None = None


@strawberry.input
class ResetPasswordInput:
    token: str | None = None
    new_password: str | None = None


@strawberry.federation.type(shareable=True)
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class UserEdge:
    node: User
    cursor: str


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo
