"""Outgoing mail over SMTP (stdlib smtplib, run off the event loop), through the "smtp" circuit breaker
(`libs.resilience`): connection errors, timeouts and the server's 4xx (try later) answers count as
failures, its refusals of one mail (a bad recipient) do not; while it is open nothing is sent and `send`
raises `MailPaused` (an `SMTPException`, which the senders already handle)."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from libs.resilience import BreakerOpen, CircuitBreaker, provider_breaker
from subgraphs.auth.settings import AuthSettings

log = logging.getLogger("manpasik.auth.mail")


class MailPaused(smtplib.SMTPException):
    """Not sent: the SMTP server has been failing (its circuit breaker is open)."""


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    body: str


class Mailer:
    def __init__(
        self, auth: AuthSettings, *, show_undelivered: bool = False, breaker: CircuitBreaker | None = None
    ) -> None:
        self.auth = auth
        self.breaker = breaker or provider_breaker(None, "smtp")
        # dev only: without a local SMTP server the links would be lost, so the log shows them instead.
        self.show_undelivered = show_undelivered
        self._pending: set[asyncio.Task[None]] = set()

    async def send(self, mail: Mail) -> None:
        try:
            async with self.breaker.guard(counts=()) as call:
                try:
                    await asyncio.to_thread(self._send, mail)
                except smtplib.SMTPResponseException as e:
                    if e.smtp_code < 500:  # the server is in trouble (or could not be connected to)
                        call.failed()
                    raise
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPNotSupportedError):
                    raise  # it answered: about this mail, not about itself
                except OSError:  # refused, unreachable, timed out, dropped (SMTPServerDisconnected)
                    call.failed()
                    raise
        except BreakerOpen as e:
            paused = f"mail paused for {e.retry_after_s:.0f} s: the SMTP server has been failing"
            raise MailPaused(paused) from e

    def send_later(self, mail: Mail) -> None:
        """Sends after the answer: its timing must not reveal whether an account exists."""
        task = asyncio.get_running_loop().create_task(self._send_logged(mail))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _send_logged(self, mail: Mail) -> None:
        try:
            await self.send(mail)
        except (OSError, smtplib.SMTPException) as e:
            log.error("could not send mail %r: %s", mail.subject, e)
            if self.show_undelivered:
                log.warning("undelivered mail to %s (dev):\n%s", mail.to, mail.body)

    async def drain(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    def _send(self, mail: Mail) -> None:
        msg = EmailMessage()
        msg["From"] = self.auth.mail_from
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg.set_content(mail.body)
        with smtplib.SMTP(self.auth.smtp_host, self.auth.smtp_port, timeout=10) as smtp:
            if self.auth.smtp_starttls:
                smtp.starttls()
            if self.auth.smtp_username:
                smtp.login(self.auth.smtp_username, self.auth.smtp_password or "")
            smtp.send_message(msg)
