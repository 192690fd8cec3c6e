"""Circuit breakers of auth's providers: Twilio Verify (its local fake having an outage) and SMTP (a port
where no server listens). Each opens after the failures, answers at once without sending while open, and
closes when the provider is back."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from libs.testing import free_port
from resilience import BreakerSettings, CircuitBreaker, State
from subgraphs.auth.adapters.mail import Mail, Mailer, MailPaused
from subgraphs.auth.adapters.sms import SmsUnavailable, SmsVerifier
from subgraphs.auth.settings import AuthSettings
from tests.subgraphs.auth.fakes.smtp import SmtpServer
from tests.subgraphs.auth.fakes.twilio_verify import FakeTwilioVerify

QUICK = BreakerSettings(minimum_calls=2, reset_s=0.4)


async def test_twilio_breaker(twilio: FakeTwilioVerify, auth_settings: AuthSettings) -> None:
    breaker = CircuitBreaker("twilio", QUICK)
    async with httpx.AsyncClient() as http:
        sms = SmsVerifier(auth_settings, http, breaker)
        twilio.outage = True
        try:
            for _ in range(2):
                with pytest.raises(SmsUnavailable):
                    await sms.send("+821012345678")
            assert breaker.state is State.OPEN
            calls, started = twilio.calls, time.monotonic()
            with pytest.raises(SmsUnavailable, match="not answering"):
                await sms.send("+821012345678")
            assert twilio.calls == calls and time.monotonic() - started < 0.05
        finally:
            twilio.outage = False
        await asyncio.sleep(0.45)
        await sms.send("+821012345679")  # the trial reaches Twilio, which sends the code
        assert twilio.sent[-1][0] == "+821012345679" and breaker.state is State.CLOSED


async def test_smtp_breaker(auth_settings: AuthSettings) -> None:
    port = free_port()  # nothing listens here yet: connection refused
    own = auth_settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    breaker = CircuitBreaker("smtp", QUICK)
    mailer = Mailer(own, breaker=breaker)
    mail = Mail(to="ada@example.com", subject="Reset your password", body="token=abc")
    for _ in range(2):
        with pytest.raises(OSError):
            await mailer.send(mail)
    assert breaker.state is State.OPEN
    with pytest.raises(MailPaused):
        await mailer.send(mail)
    mailer.send_later(mail)  # the sender that runs after the answer logs it, as any failed send
    await mailer.drain()
    with SmtpServer(port=port) as server:
        await asyncio.sleep(0.45)
        await mailer.send(mail)
        received = await server.inbox.wait_for("ada@example.com", "Reset")
        assert received["Subject"] == "Reset your password" and breaker.state is State.CLOSED
