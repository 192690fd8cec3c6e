"""GraphQL types of the notification subgraph (never the tables themselves)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.extensions import FieldExtension

from libs.auth.fields import owner_or_roles
from libs.graphql.cursor import encode_cursor
from libs.time import as_utc
from subgraphs.notification import loaders
from subgraphs.notification.context import Info
from subgraphs.notification.domain import Channel, NotificationType, Priority
from subgraphs.notification.models import NotificationRow
from subgraphs.notification.service import NotificationService, UserNotificationSettings

# The domain enums become GraphQL enums in place (strawberry.enum registers and returns the same class).
strawberry.enum(NotificationType, name="NotificationType")
strawberry.enum(Priority, name="NotificationPriority",
                description="LOW: in-app only; URGENT: pushed even in quiet hours")
strawberry.enum(Channel, name="NotificationChannel")


@strawberry.enum
class PushPlatform(Enum):
    ANDROID = "ANDROID"
    IOS = "IOS"
    WEB = "WEB"


@strawberry.type
class Notification:
    id: strawberry.ID
    row: strawberry.Private[NotificationRow]

    @classmethod
    def from_row(cls, row: NotificationRow) -> Notification:
        return cls(id=strawberry.ID(row.id), row=row)

    @strawberry.field
    def type(self) -> NotificationType:
        return NotificationType(self.row.type)

    @strawberry.field
    def priority(self) -> Priority:
        return Priority(self.row.priority)

    @strawberry.field
    def title(self) -> str:
        return self.row.title

    @strawberry.field
    def body(self) -> str:
        return self.row.body

    @strawberry.field(description="ids the app links to, e.g. insightId, measurementId")
    def links(self) -> list[NotificationLink]:
        return [NotificationLink(key=k, value=str(v)) for k, v in sorted(self.row.data.items())]

    @strawberry.field
    def read_at(self) -> datetime | None:
        return as_utc(self.row.read_at) if self.row.read_at else None

    @strawberry.field
    def created_at(self) -> datetime:
        return as_utc(self.row.created_at)


@strawberry.type
class NotificationLink:
    key: str
    value: str


@strawberry.type
class NotificationEdge:
    node: Notification
    cursor: str


@strawberry.type
class NotificationPageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: NotificationPageInfo


@strawberry.type
class QuietHours:
    start: str = strawberry.field(description="HH:MM in the user's time zone")
    end: str


@strawberry.type
class NotificationPreference:
    type: NotificationType
    channel: Channel
    enabled: bool


@strawberry.type(name="NotificationSettings")
class NotificationSettingsType:
    time_zone: str
    locale: str | None = strawberry.field(description="the user's language as auth holds it (User.locale), "
                                                      "learned from its events")
    quiet_hours: QuietHours | None
    preferences: list[NotificationPreference]

    @classmethod
    def from_data(cls, s: UserNotificationSettings) -> NotificationSettingsType:
        quiet = QuietHours(start=s.quiet_start, end=s.quiet_end) if s.quiet_start and s.quiet_end else None
        prefs = [NotificationPreference(type=t, channel=c,
                                        enabled=s.preferences.get((t.value, c.value), True))
                 for t in NotificationType for c in Channel]
        return cls(time_zone=s.time_zone, locale=s.locale, quiet_hours=quiet, preferences=prefs)


def _owner_only() -> list[FieldExtension]:
    """The user's own notifications only: someone else's are FORBIDDEN, whichever path reaches the field."""
    return [owner_or_roles(owner=lambda user: str(user.id),
                           message="you may only access your own notifications")]


@strawberry.federation.type(keys=["id"])
class User:
    """The user as this subgraph extends it (Strawberry builds it from the router's representation)."""

    id: strawberry.ID

    @strawberry.field(extensions=_owner_only())
    async def unread_notification_count(self, info: Info) -> int:
        return await loaders.unread_counts(info.context).load(str(self.id))

    @strawberry.field(description="newest first", extensions=_owner_only())
    async def notifications(self, info: Info, first: int = 20,
                            after: str | None = None) -> NotificationConnection:
        async with info.context.read() as repo:
            service = NotificationService(repo, info.context.resources.deps)
            page = await service.page(str(self.id), first, after)
        edges = [NotificationEdge(node=Notification.from_row(r), cursor=encode_cursor(r.created_at, r.id))
                 for r in page.rows]
        return NotificationConnection(edges=edges, page_info=NotificationPageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(extensions=_owner_only())
    async def notification_settings(self, info: Info) -> NotificationSettingsType:
        async with info.context.read() as repo:
            data = await NotificationService(repo, info.context.resources.deps).settings_for(str(self.id))
        return NotificationSettingsType.from_data(data)


@strawberry.input
class RegisterPushTokenInput:
    token: str = strawberry.field(description="the FCM registration token of this app install")
    platform: PushPlatform


@strawberry.input
class NotificationSettingsInput:
    time_zone: str | None = strawberry.field(default=None, description="IANA name, e.g. Asia/Seoul")
    locale: str | None = strawberry.field(default=None, deprecation_reason="User.locale is auth's: use "
                                          "setLanguagePreference, which reaches notification too")
    quiet_hours_start: str | None = strawberry.field(default=None, description="HH:MM, local time")
    quiet_hours_end: str | None = None
    clear_quiet_hours: bool = False
