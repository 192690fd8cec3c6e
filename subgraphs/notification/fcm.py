"""FCM HTTP v1 adapter: service-account OAuth (JWT bearer grant), `messages:send`, error classification.

https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send and .../ErrorCode:
UNREGISTERED (404) and SENDER_ID_MISMATCH (403) mean the token is dead for us: delete it. QUOTA_EXCEEDED
(429), UNAVAILABLE (503) and INTERNAL (500) are retried with backoff, honouring Retry-After. INVALID_ARGUMENT
(400) is our bug or a malformed token: not retried. Sends go through the "fcm" circuit breaker
(`libs.resilience`): network errors, 500 and 503 count as failures; while it is open nothing is sent and the
answer is a retryable UNAVAILABLE with the breaker's retry-after.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt

from libs.resilience import BreakerOpen, CircuitBreaker, provider_breaker

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_DEAD = frozenset({"UNREGISTERED", "SENDER_ID_MISMATCH"})
RETRYABLE = frozenset({"QUOTA_EXCEEDED", "UNAVAILABLE", "INTERNAL"})
PROVIDER_FAILED = frozenset({"UNAVAILABLE", "INTERNAL"})  # FCM's own trouble (not quota, not our request)


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    project_id: str
    client_email: str
    private_key: str  # PEM
    private_key_id: str
    token_uri: str = "https://oauth2.googleapis.com/token"

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> ServiceAccount:
        return cls(project_id=info["project_id"], client_email=info["client_email"],
                   private_key=info["private_key"], private_key_id=info.get("private_key_id", ""),
                   token_uri=info.get("token_uri") or "https://oauth2.googleapis.com/token")

    @classmethod
    def from_file(cls, path: Path) -> ServiceAccount:
        return cls.from_info(json.loads(path.read_text()))


@dataclass(frozen=True, slots=True)
class PushMessage:
    token: str
    title: str
    body: str
    data: Mapping[str, str]
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    message_name: str | None = None
    error_code: str | None = None  # FCM ErrorCode (UNREGISTERED, ...) or the HTTP status name
    retry_after_s: float | None = None
    detail: str = ""
    sent: bool = True  # False: held back by the circuit breaker (not an attempt FCM saw)

    @property
    def token_dead(self) -> bool:
        return self.error_code in TOKEN_DEAD

    @property
    def retryable(self) -> bool:
        return self.error_code in RETRYABLE


class FcmAuthError(Exception):
    """The OAuth token endpoint refused our service account."""


class FcmClient:
    def __init__(self, account: ServiceAccount, *, endpoint: str = "https://fcm.googleapis.com",
                 http: httpx.AsyncClient | None = None, breaker: CircuitBreaker | None = None) -> None:
        self.account = account
        self.breaker = breaker or provider_breaker(None, "fcm")
        self.url = f"{endpoint.rstrip('/')}/v1/projects/{account.project_id}/messages:send"
        self.http = http or httpx.AsyncClient(timeout=10)
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = asyncio.Lock()

    def _assertion(self, now: int) -> str:
        claims = {"iss": self.account.client_email, "scope": SCOPE, "aud": self.account.token_uri,
                  "iat": now, "exp": now + 3600}
        headers = {"kid": self.account.private_key_id} if self.account.private_key_id else None
        return jwt.encode(claims, self.account.private_key, algorithm="RS256", headers=headers)

    async def access_token(self, *, refresh: bool = False) -> str:
        """An OAuth access token, cached until a minute before it expires (tokens live about an hour)."""
        async with self._lock:
            if not refresh and self._token and time.time() < self._token_expires - 60:
                return self._token
            r = await self.http.post(self.account.token_uri, data={
                "grant_type": GRANT_TYPE, "assertion": self._assertion(int(time.time()))})
            if r.status_code != 200:
                raise FcmAuthError(f"token endpoint answered {r.status_code}: {r.text[:200]}")
            body = r.json()
            self._token = str(body["access_token"])
            self._token_expires = time.time() + float(body.get("expires_in", 3600))
            return self._token

    @staticmethod
    def payload(msg: PushMessage) -> dict[str, Any]:
        return {"message": {
            "token": msg.token,
            "notification": {"title": msg.title, "body": msg.body},
            "data": {str(k): str(v) for k, v in msg.data.items()},  # FCM refuses non-string values
            "android": {"priority": "HIGH" if msg.urgent else "NORMAL"},
            "apns": {"headers": {"apns-priority": "10" if msg.urgent else "5"},
                     "payload": {"aps": {"sound": "default"}}},
        }}

    async def send(self, msg: PushMessage) -> SendResult:
        try:
            async with self.breaker.guard(counts=(httpx.HTTPError,)) as call:
                result = await self._send(msg)
                if result.error_code in PROVIDER_FAILED:
                    call.failed()
                return result
        except BreakerOpen as e:
            return SendResult(ok=False, error_code="UNAVAILABLE", retry_after_s=e.retry_after_s,
                              detail="not sent: FCM has been failing (circuit breaker open)", sent=False)

    async def _send(self, msg: PushMessage) -> SendResult:
        body = self.payload(msg)
        r = await self._post(body, await self.access_token())
        if r.status_code == 401:  # our access token was revoked or expired early: one fresh try
            r = await self._post(body, await self.access_token(refresh=True))
        if r.status_code == 200:
            return SendResult(ok=True, message_name=r.json().get("name"))
        return self._error(r)

    async def _post(self, body: dict[str, Any], token: str) -> httpx.Response:
        return await self.http.post(self.url, json=body, headers={"authorization": f"Bearer {token}"})

    @staticmethod
    def _error(r: httpx.Response) -> SendResult:
        try:
            error = r.json().get("error", {})
        except ValueError:
            error = {}
        code = next((d.get("errorCode") for d in error.get("details", []) if d.get("errorCode")), None)
        by_status = {429: "QUOTA_EXCEEDED", 503: "UNAVAILABLE", 500: "INTERNAL"}
        code = code or error.get("status") or by_status.get(r.status_code, f"HTTP_{r.status_code}")
        retry_after = r.headers.get("retry-after")
        return SendResult(ok=False, error_code=code, detail=str(error.get("message", ""))[:300],
                          retry_after_s=float(retry_after) if retry_after and retry_after.isdigit() else None)

    async def aclose(self) -> None:
        await self.http.aclose()
