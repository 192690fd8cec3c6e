"""Root fields: the viewer's own notification settings, tokens and read marks, and the live subscription.
Each parses, opens the request's unit of work and calls the service."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from functools import partial
from typing import Any

import strawberry

from libs.auth.fields import authenticated
from libs.events.live import live_rows
from subgraphs.notification.context import Info
from subgraphs.notification.domain import Channel, NotificationType
from subgraphs.notification.events import LIVE_TOPIC, row_from_created
from subgraphs.notification.models import NotificationRow
from subgraphs.notification.service import NotificationService
from subgraphs.notification.types import (
    Notification,
    NotificationSettingsInput,
    NotificationSettingsType,
    RegisterPushTokenInput,
)


def _viewer_id(info: Info) -> str:
    return str(info.context.viewer.user_id)  # set: every root field is `authenticated()`


@strawberry.type
class Query:
    @strawberry.field(description="the viewer's notification settings", extensions=[authenticated()])
    async def my_notification_settings(self, info: Info) -> NotificationSettingsType:
        async with info.context.read() as repo:
            data = await NotificationService(repo, info.context.resources.deps).settings_for(_viewer_id(info))
        return NotificationSettingsType.from_data(data)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="marks the viewer's notifications read; returns how many changed",
                         extensions=[authenticated()])
    async def mark_notifications_read(self, info: Info, ids: list[strawberry.ID]) -> int:
        async with info.context.unit_of_work() as repo:
            return await NotificationService(repo, info.context.resources.deps).mark_read(
                _viewer_id(info), [str(i) for i in ids])

    @strawberry.mutation(description="registers this app install's FCM token for the viewer",
                         extensions=[authenticated()])
    async def register_push_token(self, info: Info, input: RegisterPushTokenInput) -> bool:
        async with info.context.unit_of_work() as repo:
            await NotificationService(repo, info.context.resources.deps).register_push_token(
                _viewer_id(info), input.token, input.platform.value)
        return True

    @strawberry.mutation(extensions=[authenticated()])
    async def unregister_push_token(self, info: Info, token: str) -> bool:
        async with info.context.unit_of_work() as repo:
            return await NotificationService(repo, info.context.resources.deps).unregister_push_token(
                _viewer_id(info), token)

    @strawberry.mutation(extensions=[authenticated()])
    async def update_notification_settings(self, info: Info,
                                           input: NotificationSettingsInput) -> NotificationSettingsType:
        async with info.context.unit_of_work() as repo:
            service = NotificationService(repo, info.context.resources.deps)
            await service.update_settings(
                _viewer_id(info), time_zone=input.time_zone, locale=input.locale,
                quiet_start=input.quiet_hours_start, quiet_end=input.quiet_hours_end,
                clear_quiet_hours=input.clear_quiet_hours)
            return NotificationSettingsType.from_data(await service.settings_for(_viewer_id(info)))

    @strawberry.mutation(extensions=[authenticated()])
    async def set_notification_preference(self, info: Info, type: NotificationType, channel: Channel,
                                          enabled: bool) -> NotificationSettingsType:
        async with info.context.unit_of_work() as repo:
            service = NotificationService(repo, info.context.resources.deps)
            await service.set_preference(_viewer_id(info), type, channel, enabled)
            return NotificationSettingsType.from_data(await service.settings_for(_viewer_id(info)))


async def _received(info: Info, message: dict[str, Any]) -> NotificationRow | None:
    """The notification a live message announces: carried whole, or (older messages) read by its id."""
    created = message.get("notification")
    row = row_from_created(created) if isinstance(created, dict) else None
    if row is None:
        notification_id = str(message.get("notificationId"))
        async with info.context.read() as repo:
            rows = await NotificationService(repo, info.context.resources.deps).by_ids([notification_id])
        row = rows.get(notification_id)
    return row


@strawberry.type
class Subscription:
    @strawberry.subscription(description="the viewer's new in-app notifications, as they are created",
                             extensions=[authenticated()])
    async def notification_received(self, info: Info) -> AsyncGenerator[Notification, None]:
        rows = live_rows(info.context.resources.live, LIVE_TOPIC, _viewer_id(info), partial(_received, info),
                         owner=lambda row: row.user_id)
        async for row in rows:
            yield Notification.from_row(row)
