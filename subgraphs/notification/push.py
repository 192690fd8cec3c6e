"""Sends queued push deliveries through FCM after their notification committed; retries, drops dead tokens.

Rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL, so several dispatchers never send one twice; the
batch transaction stays open while FCM answers, which bounds a batch to a few seconds of locks.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.db.sql import unit_of_work
from subgraphs.notification.domain import Priority
from subgraphs.notification.fcm import FcmAuthError, FcmClient, PushMessage, SendResult
from subgraphs.notification.repository import NotificationRepository

log = logging.getLogger("manpasik.notification.push")


class PushDispatcher:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], fcm: FcmClient | None, *,
                 batch_size: int = 50, interval_s: float = 1.0, max_attempts: int = 5) -> None:
        self.sessions = sessions
        self.fcm = fcm
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.max_attempts = max_attempts
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def dispatch_once(self) -> int:
        """Sends what is due; returns how many deliveries reached a final state or were rescheduled."""
        now = datetime.now(UTC)
        async with unit_of_work(self.sessions) as session:
            repo = NotificationRepository(session)
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
                elif result.retryable and delivery.attempts < self.max_attempts:
                    wait = max(result.retry_after_s or 0.0, float(2 ** delivery.attempts))
                    delivery.next_attempt_at = now + timedelta(seconds=wait)
                    delivery.last_error = result.error_code
                else:
                    delivery.status = "FAILED"
                    delivery.last_error = f"{result.error_code}: {result.detail}"[:500]
            return len(due)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()  # before the pass: a wake() during it triggers the next one at once
            try:
                n = await self.dispatch_once()
            except Exception:  # the database may be briefly away; deliveries stay queued
                log.exception("push dispatch pass failed")
                n = 0
            if n >= self.batch_size:
                continue
            waiters = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
            _, rest = await asyncio.wait(waiters, timeout=self.interval_s,
                                         return_when=asyncio.FIRST_COMPLETED)
            for t in rest:
                t.cancel()
