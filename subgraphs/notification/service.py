"""Notification rules in action: events become in-app notifications and queued pushes; reads and settings.

One event, one commit: the notification, its push deliveries, the `notification.created` outbox row and the
processed-event marker (the consumer hands over a whole read: one transaction for all, same results).
Pushes are sent after the commit by the dispatcher (push.py), never inside a handler.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.config import Settings
from libs.db.sql import unit_of_work
from libs.errors import BadUserInput
from libs.events import CloudEvent, DropEvent, OutboxBase
from libs.events.streams import NOTIFICATION_CREATED, NOTIFICATION_STREAM, TEMPLATE_UPDATED
from subgraphs.notification.domain import (
    Channel,
    Draft,
    Priority,
    draft_from_event,
    localised,
    parse_clock,
    quiet_until,
    zone,
)
from subgraphs.notification.errors import InvalidTimeZone
from subgraphs.notification.models import (
    NotificationRow,
    PushDeliveryRow,
    UserSettingsRow,
    as_utc,
)
from subgraphs.notification.repository import NotificationRepository
from subgraphs.notification.templates import NotificationType, language, override_ids, render

CONSUMER_GROUP = "notification"
SOURCE = "/subgraphs/notification"
MAX_PAGE = 100
PLATFORMS = frozenset({"ANDROID", "IOS", "WEB"})


@dataclass(slots=True)
class Handled:
    notifications: list[NotificationRow]
    outbox: list[OutboxBase]  # committed, for the worker to publish at once


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[NotificationRow]
    has_next: bool


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    time_zone: str
    locale: str | None
    quiet_start: str | None
    quiet_end: str | None
    preferences: dict[tuple[str, str], bool]  # (type, channel) -> enabled; missing means on


def encode_cursor(row: NotificationRow) -> str:
    return base64.urlsafe_b64encode(f"{as_utc(row.created_at).isoformat()}|{row.id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, _, nid = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(at), nid
    except (ValueError, UnicodeDecodeError) as e:
        raise BadUserInput("invalid cursor", field="after") from e


def _clock(minutes: int | None) -> str | None:
    return None if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


class NotificationService:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions

    # -- events ---------------------------------------------------------------------------------------------

    async def handle_template(self, event: CloudEvent) -> bool:
        """A text override from the translation subgraph; True when it was stored (newer than ours)."""
        d = event.data
        key, locale, body, version = d.get("key"), d.get("locale"), d.get("body"), d.get("version")
        if not (isinstance(key, str) and key.startswith("notification.")):
            return False  # another subgraph's text
        if not (isinstance(locale, str) and locale and isinstance(body, str) and body
                and isinstance(version, int)):
            raise DropEvent("template events need key, locale, body and an integer version")
        async with unit_of_work(self.sessions) as session:
            return await NotificationRepository(session).save_template(
                key[:200], locale.lower().split("-")[0][:10], body[:2000], version)

    async def handle_event(self, event: CloudEvent) -> list[NotificationRow]:
        return (await self.handle_events([event])).notifications

    async def handle_events(self, events: Sequence[CloudEvent]) -> Handled:
        """Events of one consumer read, in stream order, in one transaction (the same results as one by one):
        markers, settings, preferences, tokens and text overrides are read once for the batch."""
        out = Handled([], [])
        if len(events) > 1 and any(e.type == TEMPLATE_UPDATED for e in events):
            for event in events:  # a text change applies from its place in the stream on
                one = await self.handle_events([event])
                out.notifications += one.notifications
                out.outbox += one.outbox
            return out
        drafts: list[tuple[CloudEvent, Draft]] = []
        for event in events:
            if event.type == TEMPLATE_UPDATED:
                await self.handle_template(event)
                continue
            draft = draft_from_event(event.type, event.data)
            if draft is not None:
                drafts.append((event, draft))
        if not drafts:
            return out
        now = datetime.now(UTC)
        async with unit_of_work(self.sessions) as session:
            repo = NotificationRepository(session)
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
            texts = await repo.template_overrides(sorted({k for _, d in fresh for k in override_ids(d.type)}))
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
                locale = ((settings.locale if settings else None) or draft.locale
                          or self.settings.coaching_default_locale)
                tz = zone(settings.time_zone if settings else None, draft.time_zone,
                          self.settings.default_time_zone)
                title, body = render(draft.type, locale, localised(draft.params, language(locale), tz), texts)
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
                out.outbox.append(repo.add_event(NOTIFICATION_STREAM, CloudEvent.new(
                    NOTIFICATION_CREATED, SOURCE, row.id, {
                        "notificationId": row.id, "userId": row.user_id, "type": row.type,
                        "priority": row.priority, "inApp": in_app, "createdAt": now.isoformat(),
                        # The whole new row: live subscribers show it without a query per message.
                        "title": row.title, "body": row.body, "locale": row.locale, "data": row.data,
                    })))
                out.notifications.append(row)
        return out

    # -- reads ----------------------------------------------------------------------------------------------

    async def unread_counts(self, user_ids: Sequence[str]) -> dict[str, int]:
        async with self.sessions() as session:
            return await NotificationRepository(session).unread_counts(user_ids)

    async def page(self, user_id: str, first: int, after: str | None) -> Page:
        if not 1 <= first <= MAX_PAGE:
            raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
        cursor = decode_cursor(after) if after else None
        async with self.sessions() as session:
            rows = await NotificationRepository(session).page(user_id, first + 1, cursor)
        return Page(rows=rows[:first], has_next=len(rows) > first)

    @staticmethod
    def row_from_created(data: Mapping[str, Any]) -> NotificationRow | None:
        """The new notification as `notification.created` carries it (None for events from before it did)."""
        try:
            return NotificationRow(
                id=str(data["notificationId"]), user_id=str(data["userId"]), type=str(data["type"]),
                priority=str(data["priority"]), title=str(data["title"]), body=str(data["body"]),
                locale=str(data["locale"]), data=dict(data["data"]), source_event_id="",
                in_app=bool(data.get("inApp", True)), created_at=datetime.fromisoformat(data["createdAt"]))
        except (KeyError, TypeError, ValueError):
            return None

    async def by_ids(self, ids: Sequence[str]) -> dict[str, NotificationRow]:
        async with self.sessions() as session:
            return {r.id: r for r in await NotificationRepository(session).notifications_by_ids(ids)}

    async def settings_for(self, user_id: str) -> NotificationSettings:
        async with self.sessions() as session:
            repo = NotificationRepository(session)
            row = await repo.user_settings(user_id)
            prefs = {(p.type, p.channel): p.enabled for p in await repo.preferences(user_id)}
        return NotificationSettings(
            time_zone=(row.time_zone if row and row.time_zone else self.settings.default_time_zone),
            locale=row.locale if row else None, quiet_start=_clock(row.quiet_start_min if row else None),
            quiet_end=_clock(row.quiet_end_min if row else None), preferences=prefs)

    # -- writes ---------------------------------------------------------------------------------------------

    async def mark_read(self, user_id: str, ids: Sequence[str]) -> int:
        """Marks the viewer's own notifications; ids of others' are ignored (no hint that they exist)."""
        if len(ids) > 500:
            raise BadUserInput("at most 500 ids at once", field="ids")
        async with unit_of_work(self.sessions) as session:
            return await NotificationRepository(session).mark_read(user_id, list(set(ids)), datetime.now(UTC))

    async def register_push_token(self, user_id: str, token: str, platform: str) -> None:
        token = token.strip()
        if not 20 <= len(token) <= 4096 or any(c.isspace() for c in token):
            raise BadUserInput("not a push registration token", field="token")
        if platform not in PLATFORMS:
            raise BadUserInput("platform must be ANDROID, IOS or WEB", field="platform")
        async with unit_of_work(self.sessions) as session:
            await NotificationRepository(session).upsert_token(user_id, token, platform, datetime.now(UTC))

    async def unregister_push_token(self, user_id: str, token: str) -> bool:
        async with unit_of_work(self.sessions) as session:
            return await NotificationRepository(session).delete_token(token.strip(), user_id) > 0

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
        async with unit_of_work(self.sessions) as session:
            repo = NotificationRepository(session)
            row = await repo.user_settings(user_id) or UserSettingsRow(user_id=user_id)
            if time_zone is not None:
                row.time_zone = time_zone
            if locale is not None:
                row.locale = locale[:35]
            if start is not None:
                row.quiet_start_min, row.quiet_end_min = start, end
            elif clear_quiet_hours:
                row.quiet_start_min = row.quiet_end_min = None
            row.updated_at = datetime.now(UTC)
            repo.save_settings(row)

    async def set_preference(self, user_id: str, type_: NotificationType, channel: Channel,
                             enabled: bool) -> None:
        async with unit_of_work(self.sessions) as session:
            await NotificationRepository(session).set_preference(user_id, type_.value, channel.value, enabled)
