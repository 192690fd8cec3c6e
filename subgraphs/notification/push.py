"""Sends queued push deliveries through FCM after their notification committed; retries, drops dead tokens.

Rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL, so several dispatchers never send one twice; the
batch's unit of work stays open while FCM answers, which bounds a batch to a few seconds of locks.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx

from libs.db.uow import UnitsOfWork
from libs.polling import PollingLoop
from libs.time import utcnow
from subgraphs.notification.domain import Priority
from subgraphs.notification.fcm import FcmAuthError, FcmClient, PushMessage, SendResult
from subgraphs.notification.repository import NotificationRepository

log = logging.getLogger("manpasik.notification.push")


class PushDispatcher:
    def __init__(self, db: UnitsOfWork[NotificationRepository], fcm: FcmClient | None, *,
                 batch_size: int = 50, interval_s: float = 1.0, max_attempts: int = 5) -> None:
        self.db = db
        self.fcm = fcm
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self._loop = PollingLoop(self.dispatch_once, interval_s=interval_s, batch_size=batch_size,
                                 name="push dispatch")

    def wake(self) -> None:
        """Send now (deliveries were just committed), not at the next interval."""
        self._loop.wake()

    async def run(self, stop: asyncio.Event) -> None:
        await self._loop.run(stop)  # a failed pass (the database briefly away) leaves deliveries queued

    async def dispatch_once(self) -> int:
        """Sends what is due; returns how many deliveries reached a final state or were rescheduled."""
        now = utcnow()
        async with self.db.write() as repo:
            due = await repo.due_deliveries(now, self.batch_size)
            for delivery, notification in due:
                delivery.attempts += 1
                if notification.read_at is not None:
                    delivery.status, delivery.last_error = "DROPPED", "read in the app before it was pushed"
                    continue
                if self.fcm is None:
                    delivery.status, delivery.last_error = "DROPPED", "push is not configured"
                    continue
                data = {**notification.data, "notificationId": notification.id, "type": notification.type}
                urgent = notification.priority in (Priority.URGENT.value, Priority.HIGH.value)
                msg = PushMessage(token=delivery.token, title=notification.title, body=notification.body,
                                  data=data, urgent=urgent)
                try:
                    result = await self.fcm.send(msg)
                except (httpx.HTTPError, FcmAuthError) as e:
                    result = SendResult(ok=False, error_code="UNAVAILABLE", detail=str(e)[:300])
                if result.ok:
                    delivery.status, delivery.sent_at = "SENT", now
                    delivery.message_name = result.message_name
                elif result.token_dead:
                    delivery.status, delivery.last_error = "DROPPED", result.error_code
                    await repo.delete_token(delivery.token)
                    log.info("push token removed after %s", result.error_code)
                elif not result.sent:  # held back by the breaker: not an attempt; again once it half-opens
                    delivery.attempts -= 1
                    delivery.next_attempt_at = now + timedelta(seconds=max(result.retry_after_s or 0.0, 1.0))
                    delivery.last_error = result.error_code
                elif result.retryable and delivery.attempts < self.max_attempts:
                    wait = max(result.retry_after_s or 0.0, float(2 ** delivery.attempts))
                    delivery.next_attempt_at = now + timedelta(seconds=wait)
                    delivery.last_error = result.error_code
                else:
                    delivery.status = "FAILED"
                    delivery.last_error = f"{result.error_code}: {result.detail}"[:500]
            return len(due)
