"""Notification rules in action: events become in-app notifications and queued pushes; reads and settings.

The service works on the repository of the caller's unit of work (a request's or a worker's): one event read,
one commit — the notifications, their push deliveries, the `notification.created` outbox rows and the
processed-event markers. Pushes are sent after the commit by the dispatcher (push.py), never in a handler.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from libs.errors import BadUserInput
from libs.events import CloudEvent
from libs.events.streams import NOTIFICATION_STREAM, USER_LOCALE_CHANGED, USER_SIGNED_UP
from libs.events.workers import Handled
from libs.graphql.cursor import decode_cursor
from libs.i18n import Catalogue
from libs.time import utcnow, zone
from subgraphs.notification.domain import (
    Channel,
    Draft,
    NotificationType,
    Priority,
    draft_from_event,
    localised,
    parse_clock,
    quiet_until,
)
from subgraphs.notification.errors import InvalidTimeZone
from subgraphs.notification.events import notification_created
from subgraphs.notification.models import NotificationRow, PushDeliveryRow, UserSettingsRow
from subgraphs.notification.repository import NotificationRepository
from subgraphs.notification.wording import render

CONSUMER_GROUP = "notification"
MAX_PAGE = 100
PLATFORMS = frozenset({"ANDROID", "IOS", "WEB"})


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[NotificationRow]
    has_next: bool


@dataclass(frozen=True, slots=True)
class UserNotificationSettings:
    time_zone: str
    locale: str | None
    quiet_start: str | None
    quiet_end: str | None
    preferences: dict[tuple[str, str], bool]  # (type, channel) -> enabled; missing means on


def _clock(minutes: int | None) -> str | None:
    return None if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class NotificationDeps:
    """What the rules need besides the repository: the defaults for people who have not chosen."""

    default_locale: str
    default_time_zone: str
    # The templates notifications are worded with: shipped, kept current by the worker's template feed.
    catalogue: Catalogue = field(default_factory=Catalogue.seeded)


class NotificationService:
    def __init__(self, repo: NotificationRepository, deps: NotificationDeps) -> None:
        self.repo = repo
        self.deps = deps

    # -- events ---------------------------------------------------------------------------------------------

    async def handle_event(self, event: CloudEvent) -> list[NotificationRow]:
        return (await self.handle_events([event])).items

    async def handle_events(self, events: Sequence[CloudEvent]) -> Handled[NotificationRow]:
        """Events of one consumer read, in stream order (the same results as one by one): markers, settings,
        preferences and tokens are read once for the batch."""
        drafts: list[tuple[CloudEvent, Draft]] = []
        for event in events:
            if event.type in (USER_SIGNED_UP, USER_LOCALE_CHANGED):
                await self.learn_locale(event)  # before the batch's settings are read: the welcome uses it
            draft = draft_from_event(event.type, event.data)
            if draft is not None:
                drafts.append((event, draft))
        return await self._notify(drafts) if drafts else Handled()

    async def _notify(self, drafts: list[tuple[CloudEvent, Draft]]) -> Handled[NotificationRow]:
        out = Handled[NotificationRow]()
        repo, now = self.repo, utcnow()
        done = await repo.processed_ids(CONSUMER_GROUP, [e.id for e, _ in drafts])
        fresh = []
        for event, draft in drafts:
            if event.id not in done:
                done.add(event.id)
                fresh.append((event, draft))
        if not fresh:
            return out
        users = sorted({d.user_id for _, d in fresh})
        all_settings = await repo.settings_of(users)
        prefs: dict[tuple[str, str, str], bool] = {
            (p.user_id, p.type, p.channel): p.enabled for p in await repo.preferences_of(users)}
        tokens = await repo.tokens_of(users)
        for event, draft in fresh:
            repo.record_processed(CONSUMER_GROUP, event)
            uid = draft.user_id
            in_app = prefs.get((uid, draft.type.value, Channel.IN_APP.value), True)
            push = draft.priority is not Priority.LOW and prefs.get(
                (uid, draft.type.value, Channel.PUSH.value), True)
            if not in_app and not push:
                continue
            settings = all_settings.get(uid)
            # The owner's own settings win over what the event says, which wins over the defaults.
            locale = (settings.locale if settings else None) or draft.locale or self.deps.default_locale
            tz = zone(settings.time_zone if settings else None, draft.time_zone, self.deps.default_time_zone)
            title, body = render(self.deps.catalogue, draft.type, locale,
                                    localised(draft.params, locale, tz))
            row = NotificationRow(
                id=str(uuid.uuid4()), user_id=uid, type=draft.type.value,
                priority=draft.priority.value, title=title[:300], body=body[:2000], locale=locale,
                data=dict(draft.data), source_event_id=event.id, in_app=in_app, created_at=now,
            )
            repo.add_notification(row)
            if push:
                held = None if draft.priority is Priority.URGENT else quiet_until(
                    now, tz, settings.quiet_start_min if settings else None,
                    settings.quiet_end_min if settings else None)
                for token in tokens.get(uid, []):
                    repo.add_delivery(PushDeliveryRow(notification_id=row.id, token=token.token,
                                                      next_attempt_at=held or now))
            out.outbox.append(repo.add_event(NOTIFICATION_STREAM, notification_created(row)))
            out.items.append(row)
        return out

    async def learn_locale(self, event: CloudEvent) -> None:
        """The owner's language from auth, which owns it (`signUp`, `setLanguagePreference`)."""
        user_id, locale = event.data.get("userId"), event.data.get("locale")
        if not (isinstance(user_id, str) and user_id and isinstance(locale, str) and locale):
            return
        row = await self.repo.user_settings(user_id) or UserSettingsRow(user_id=user_id)
        if row.locale != locale[:35]:
            row.locale, row.updated_at = locale[:35], utcnow()
            self.repo.save_settings(row)

    # -- reads ----------------------------------------------------------------------------------------------

    async def unread_counts(self, user_ids: Sequence[str]) -> dict[str, int]:
        return await self.repo.unread_counts(user_ids)

    async def page(self, user_id: str, first: int, after: str | None) -> Page:
        if not 1 <= first <= MAX_PAGE:
            raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
        cursor = decode_cursor(after) if after else None
        rows = await self.repo.page(user_id, first + 1, cursor)
        return Page(rows=rows[:first], has_next=len(rows) > first)

    async def by_ids(self, ids: Sequence[str]) -> dict[str, NotificationRow]:
        return {r.id: r for r in await self.repo.notifications_by_ids(ids)}

    async def settings_for(self, user_id: str) -> UserNotificationSettings:
        row = await self.repo.user_settings(user_id)
        prefs = {(p.type, p.channel): p.enabled for p in await self.repo.preferences(user_id)}
        return UserNotificationSettings(
            time_zone=(row.time_zone if row and row.time_zone else self.deps.default_time_zone),
            locale=row.locale if row else None, quiet_start=_clock(row.quiet_start_min if row else None),
            quiet_end=_clock(row.quiet_end_min if row else None), preferences=prefs)

    # -- writes ---------------------------------------------------------------------------------------------

    async def mark_read(self, user_id: str, ids: Sequence[str]) -> int:
        """Marks the viewer's own notifications; ids of others' are ignored (no hint that they exist)."""
        if len(ids) > 500:
            raise BadUserInput("at most 500 ids at once", field="ids")
        return await self.repo.mark_read(user_id, list(set(ids)), utcnow())

    async def register_push_token(self, user_id: str, token: str, platform: str) -> None:
        token = token.strip()
        if not 20 <= len(token) <= 4096 or any(c.isspace() for c in token):
            raise BadUserInput("not a push registration token", field="token")
        if platform not in PLATFORMS:
            raise BadUserInput("platform must be ANDROID, IOS or WEB", field="platform")
        await self.repo.upsert_token(user_id, token, platform, utcnow())

    async def unregister_push_token(self, user_id: str, token: str) -> bool:
        return await self.repo.delete_token(token.strip(), user_id) > 0

    async def update_settings(self, user_id: str, *, time_zone: str | None, locale: str | None,
                              quiet_start: str | None, quiet_end: str | None,
                              clear_quiet_hours: bool) -> None:
        if time_zone is not None and zone(time_zone).key != time_zone:
            raise InvalidTimeZone(time_zone)
        start = end = None
        if quiet_start is not None or quiet_end is not None:
            if quiet_start is None or quiet_end is None:
                raise BadUserInput("give both quietHoursStart and quietHoursEnd", field="quietHoursEnd")
            try:
                start, end = parse_clock(quiet_start), parse_clock(quiet_end)
            except ValueError as e:
                raise BadUserInput("quiet hours are HH:MM", field="quietHoursStart") from e
        row = await self.repo.user_settings(user_id) or UserSettingsRow(user_id=user_id)
        if time_zone is not None:
            row.time_zone = time_zone
        if locale is not None:
            row.locale = locale[:35]
        if start is not None:
            row.quiet_start_min, row.quiet_end_min = start, end
        elif clear_quiet_hours:
            row.quiet_start_min = row.quiet_end_min = None
        row.updated_at = utcnow()
        self.repo.save_settings(row)

    async def set_preference(self, user_id: str, type_: NotificationType, channel: Channel,
                             enabled: bool) -> None:
        await self.repo.set_preference(user_id, type_.value, channel.value, enabled)
