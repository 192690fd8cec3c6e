"""Root fields: parse and authorize, then call the service."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from libs.auth import require_viewer
from subgraphs.notification.context import Info
from subgraphs.notification.domain import Channel
from subgraphs.notification.service import NotificationService
from subgraphs.notification.templates import NotificationType
from subgraphs.notification.types import (
    Notification,
    NotificationSettings,
    NotificationSettingsInput,
    RegisterPushTokenInput,
)
from subgraphs.notification.worker import LIVE_TOPIC


@strawberry.type
class Query:
    @strawberry.field(description="the viewer's notification settings")
    async def my_notification_settings(self, info: Info) -> NotificationSettings:
        viewer = require_viewer(info.context.viewer)
        data = await info.context.resources.service.settings_for(str(viewer.user_id))
        return NotificationSettings.from_data(data)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="marks the viewer's notifications read; returns how many changed")
    async def mark_notifications_read(self, info: Info, ids: list[strawberry.ID]) -> int:
        viewer = require_viewer(info.context.viewer)
        return await info.context.resources.service.mark_read(str(viewer.user_id), [str(i) for i in ids])

    @strawberry.mutation(description="registers this app install's FCM token for the viewer")
    async def register_push_token(self, info: Info, input: RegisterPushTokenInput) -> bool:
        viewer = require_viewer(info.context.viewer)
        await info.context.resources.service.register_push_token(str(viewer.user_id), input.token,
                                                                 input.platform.value)
        return True

    @strawberry.mutation
    async def unregister_push_token(self, info: Info, token: str) -> bool:
        viewer = require_viewer(info.context.viewer)
        return await info.context.resources.service.unregister_push_token(str(viewer.user_id), token)

    @strawberry.mutation
    async def update_notification_settings(self, info: Info,
                                           input: NotificationSettingsInput) -> NotificationSettings:
        viewer = require_viewer(info.context.viewer)
        service = info.context.resources.service
        await service.update_settings(str(viewer.user_id), time_zone=input.time_zone, locale=input.locale,
                                      quiet_start=input.quiet_hours_start, quiet_end=input.quiet_hours_end,
                                      clear_quiet_hours=input.clear_quiet_hours)
        return NotificationSettings.from_data(await service.settings_for(str(viewer.user_id)))

    @strawberry.mutation
    async def set_notification_preference(self, info: Info, type: NotificationType, channel: Channel,
                                          enabled: bool) -> NotificationSettings:
        viewer = require_viewer(info.context.viewer)
        service = info.context.resources.service
        await service.set_preference(str(viewer.user_id), type, channel, enabled)
        return NotificationSettings.from_data(await service.settings_for(str(viewer.user_id)))


@strawberry.type
class Subscription:
    @strawberry.subscription(description="the viewer's new in-app notifications, as they are created")
    async def notification_received(self, info: Info) -> AsyncGenerator[Notification, None]:
        viewer = require_viewer(info.context.viewer)
        user_id = str(viewer.user_id)
        async with info.context.resources.live.subscribe(LIVE_TOPIC, user_id) as queue:
            while True:
                message = await queue.get()
                created = message.get("notification")
                row = NotificationService.row_from_created(created) if isinstance(created, dict) else None
                if row is None:  # a message without the row: read it
                    rows = await info.context.resources.service.by_ids([str(message.get("notificationId"))])
                    row = next(iter(rows.values()), None)
                if row is not None and row.user_id == user_id:
                    yield Notification.from_row(row)
