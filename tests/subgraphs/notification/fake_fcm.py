"""A local stand-in for Google's OAuth token endpoint and FCM HTTP v1 `messages:send`, per their public docs.

- POST /token: `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, `assertion` = RS256 JWT signed by
  the service account (iss = client_email, scope, aud = token_uri, exp <= iat + 3600) -> access_token.
- POST /v1/projects/{project}/messages:send, `Authorization: Bearer <access token>`, {"message": {...}}:
  exactly one of token/topic/condition, `data` values must be strings (else INVALID_ARGUMENT), payload <= 4096
  bytes -> {"name": "projects/{project}/messages/{id}"}; errors as google.rpc.Status with an FcmError detail.
Tokens can be marked unregistered or rate-limited to script the error paths; `outage` makes every send a
503 UNAVAILABLE (FCM having trouble).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


def _error(status: int, rpc_status: str, message: str, code: str | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    fcm_error = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
    details = [{"@type": fcm_error, "errorCode": code}] if code else []
    error = {"code": status, "message": message, "status": rpc_status, "details": details}
    return JSONResponse({"error": error}, status_code=status, headers=headers)


@dataclass
class FakeFcm:
    project_id: str = "manpasik-test"
    client_email: str = "push@manpasik-test.iam.gserviceaccount.com"
    base_url: str = ""  # set once served
    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537,
                                                                                     key_size=2048))
    sent: list[dict[str, Any]] = field(default_factory=list)
    unregistered: set[str] = field(default_factory=set)
    rate_limited: dict[str, int] = field(default_factory=dict)  # token -> how many 429s before success
    tokens_issued: int = 0
    outage: bool = False
    send_calls: int = 0  # requests to messages:send, answered or not
    _access: dict[str, float] = field(default_factory=dict)

    def service_account(self) -> dict[str, str]:
        pem = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()
        return {"type": "service_account", "project_id": self.project_id, "private_key_id": "k1",
                "private_key": pem, "client_email": self.client_email, "token_uri": f"{self.base_url}/token"}

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/token", self._token, methods=["POST"]),
            Route("/v1/projects/{project}/messages:send", self._send, methods=["POST"]),
        ])

    async def _token(self, request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        try:
            claims = jwt.decode(str(form.get("assertion")), self.key.public_key(), algorithms=["RS256"],
                                audience=f"{self.base_url}/token", options={"require": ["iat", "exp", "iss"]})
        except jwt.PyJWTError as e:
            return JSONResponse({"error": "invalid_grant", "error_description": str(e)}, status_code=400)
        if claims["iss"] != self.client_email or claims.get("scope") != SCOPE or \
                claims["exp"] - claims["iat"] > 3600:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access = "ya29." + secrets.token_urlsafe(24)
        self._access[access] = time.time() + 3600
        self.tokens_issued += 1
        return JSONResponse({"access_token": access, "expires_in": 3599, "token_type": "Bearer"})

    async def _send(self, request: Request) -> JSONResponse:
        self.send_calls += 1
        if self.outage:
            return _error(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE")
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or self._access.get(auth[7:], 0) < time.time():
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if request.path_params["project"] != self.project_id:
            return _error(403, "PERMISSION_DENIED", "wrong project", "SENDER_ID_MISMATCH")
        raw = await request.body()
        body = json.loads(raw)
        message = body.get("message") or {}
        targets = [k for k in ("token", "topic", "condition") if k in message]
        if len(targets) != 1:
            return _error(400, "INVALID_ARGUMENT", "exactly one target is required", "INVALID_ARGUMENT")
        if any(not isinstance(v, str) for v in (message.get("data") or {}).values()):
            return _error(400, "INVALID_ARGUMENT", "data values must be strings", "INVALID_ARGUMENT")
        if len(raw) > 4096:
            return _error(400, "INVALID_ARGUMENT", "message is too big", "INVALID_ARGUMENT")
        token = message.get("token", "")
        if token in self.unregistered:
            return _error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
        if self.rate_limited.get(token, 0) > 0:
            self.rate_limited[token] -= 1
            return _error(429, "RESOURCE_EXHAUSTED", "quota exceeded", "QUOTA_EXCEEDED", {"retry-after": "1"})
        self.sent.append(message)
        return JSONResponse({"name": f"projects/{self.project_id}/messages/{secrets.token_hex(8)}"})
