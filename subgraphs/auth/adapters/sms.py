"""SMS codes through Twilio Verify v2 (https://www.twilio.com/docs/verify/api): the provider generates, sends
and checks the code, so no code is stored here; an approved verification cannot be checked again. Calls go
through the "twilio" circuit breaker (`libs.resilience`): while it is open nothing is sent
(SERVICE_UNAVAILABLE)."""

from __future__ import annotations

import logging

import httpx

from libs.errors import AppError, RateLimited
from libs.resilience import BreakerOpen, CircuitBreaker, provider_breaker
from subgraphs.auth.settings import AuthSettings

log = logging.getLogger("manpasik.auth.sms")


class SmsUnavailable(AppError):
    code = "SERVICE_UNAVAILABLE"


class SmsVerifier:
    def __init__(
        self, auth: AuthSettings, http: httpx.AsyncClient, breaker: CircuitBreaker | None = None
    ) -> None:
        assert auth.twilio_verify_service_sid and auth.twilio_account_sid
        self.http = http
        self.breaker = breaker or provider_breaker(None, "twilio")
        self.base = f"{auth.twilio_verify_url.rstrip('/')}/v2/Services/{auth.twilio_verify_service_sid}"
        self.auth = (auth.twilio_account_sid, auth.twilio_auth_token or "")

    async def _post(self, path: str, data: dict[str, str]) -> httpx.Response:
        try:
            async with self.breaker.guard() as call:
                r = await self.http.post(f"{self.base}/{path}", data=data, auth=self.auth)
                if r.status_code >= 500:
                    call.failed()
                return r
        except BreakerOpen:
            raise SmsUnavailable("the SMS provider is not answering; try again in a minute") from None

    async def send(self, phone: str) -> None:
        try:
            r = await self._post("Verifications", {"To": phone, "Channel": "sms"})
        except httpx.HTTPError as e:
            log.error("SMS provider unreachable: %s", e)
            raise SmsUnavailable("could not send the SMS code; try again")
        if r.status_code == 429:  # Twilio 60203: max send attempts reached
            raise RateLimited("too many SMS codes requested; try again later")
        if r.status_code >= 400:
            log.error("SMS provider refused (%s): %s", r.status_code, r.text[:300])
            raise SmsUnavailable("could not send the SMS code")

    async def check(self, phone: str, code: str) -> bool:
        try:
            r = await self._post("VerificationCheck", {"To": phone, "Code": code})
        except httpx.HTTPError as e:
            log.error("SMS provider unreachable: %s", e)
            raise SmsUnavailable("could not check the SMS code; try again")
        if r.status_code == 404:  # Twilio 20404: no pending verification (expired, approved or never sent)
            return False
        if r.status_code >= 400:
            log.error("SMS provider refused check (%s): %s", r.status_code, r.text[:300])
            return False
        return bool(r.json().get("status") == "approved")
