"""SMS codes through Twilio Verify v2 (https://www.twilio.com/docs/verify/api): the provider generates, sends
and checks the code, so no code is stored here; an approved verification cannot be checked again."""

from __future__ import annotations

import logging

import httpx

from libs.errors import AppError, RateLimited
from subgraphs.auth.settings import AuthSettings

log = logging.getLogger("manpasik.auth.sms")


class SmsUnavailable(AppError):
    code = "SERVICE_UNAVAILABLE"


class SmsVerifier:
    def __init__(self, auth: AuthSettings, http: httpx.AsyncClient) -> None:
        assert auth.twilio_verify_service_sid and auth.twilio_account_sid
        self.http = http
        self.base = f"{auth.twilio_verify_url.rstrip('/')}/v2/Services/{auth.twilio_verify_service_sid}"
        self.auth = (auth.twilio_account_sid, auth.twilio_auth_token or "")

    async def send(self, phone: str) -> None:
        try:
            r = await self.http.post(
                f"{self.base}/Verifications", data={"To": phone, "Channel": "sms"}, auth=self.auth
            )
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
            r = await self.http.post(
                f"{self.base}/VerificationCheck", data={"To": phone, "Code": code}, auth=self.auth
            )
        except httpx.HTTPError as e:
            log.error("SMS provider unreachable: %s", e)
            raise SmsUnavailable("could not check the SMS code; try again")
        if r.status_code == 404:  # Twilio 20404: no pending verification (expired, approved or never sent)
            return False
        if r.status_code >= 400:
            log.error("SMS provider refused check (%s): %s", r.status_code, r.text[:300])
            return False
        return bool(r.json().get("status") == "approved")
