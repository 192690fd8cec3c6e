"""The token and forwarded headers a WebSocket client sends in `connection_init`'s payload.

Clients put the token in different places; each of these is read:
  {"Authorization": "Bearer t"} / {"authorization": ...}   Apollo Kotlin, Apollo iOS, graphql-ws examples
  {"headers": {"Authorization": "Bearer t"}}                 Apollo Client / Hive docs
  {"authToken": "t"}, {"token": "t"}, {"accessToken": "t"}   Apollo's subscription docs and common apps
A bare token (no scheme) is sent on as `Bearer <token>`.
"""

from __future__ import annotations

from typing import Any

FORWARDED = ("authorization", "accept-language", "traceparent", "x-request-id")
TOKEN_KEYS = ("authtoken", "token", "accesstoken", "access_token", "auth_token")


def _bearer(value: str) -> str:
    value = value.strip()
    return value if " " in value else f"Bearer {value}"


def headers_from_params(request_headers: Any, params: Any) -> dict[str, str]:
    """The handshake's headers (lower-cased), overridden by what `connection_init` carried."""
    out = {k.lower(): v for k, v in request_headers.items()}
    if not isinstance(params, dict):
        return out
    nested = params.get("headers")
    for src in (params, nested if isinstance(nested, dict) else {}):
        for k, v in src.items():
            if not isinstance(v, str) or not v:
                continue
            key = k.lower()
            if key in FORWARDED:
                out[key] = _bearer(v) if key == "authorization" else v
            elif key in TOKEN_KEYS and "authorization" not in {x.lower() for x in src}:
                out["authorization"] = _bearer(v)
    return out
