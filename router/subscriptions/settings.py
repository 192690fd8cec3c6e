"""Keep-alive of long-lived responses: phones and NATs drop silent connections (OkHttp: 10 s)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamSettings:
    # Multipart and SSE: a heartbeat at once when the stream opens, then after every `heartbeat_seconds`
    # without other output (Apollo Router's multipart interval is 5 s).
    heartbeat_seconds: float = 5.0
    # WebSocket: the router pings every `ws_ping_seconds` (a graphql-transport-ws `ping` message, or a ping
    # frame on the legacy protocol, which also gets `ka`) and closes a socket that has not answered within
    # `ws_pong_timeout_seconds`.
    ws_ping_seconds: float = 15.0
    ws_pong_timeout_seconds: float = 10.0
    # graphql-transport-ws: a socket that has not sent connection_init by then is closed (4408).
    ws_init_timeout_seconds: float = 10.0
