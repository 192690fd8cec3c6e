"""LiveKit access tokens: one room per consultation, minted only after the service checked who joins.

The token is LiveKit's documented JWT (HS256 with the API secret; `iss` the API key, `sub` the identity,
`nbf`/`exp`, and a `video` grant naming the room), built by LiveKit's own `livekit-api` package, so any
LiveKit server (or LiveKit Cloud) configured with the same key pair admits the participant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from livekit import api

from libs.time import utcnow


@dataclass(frozen=True, slots=True)
class RoomAccess:
    room_name: str
    url: str
    token: str
    expires_at: datetime


def room_name(consultation_id: str) -> str:
    return f"consultation-{consultation_id}"


class RoomTokens:
    def __init__(self, url: str, api_key: str, api_secret: str, ttl: timedelta) -> None:
        self.url = url
        self.api_key = api_key
        self.api_secret = api_secret
        self.ttl = ttl

    def mint(self, consultation_id: str, identity: str, name: str, role: str) -> RoomAccess:
        room = room_name(consultation_id)
        expires_at = utcnow().replace(microsecond=0) + self.ttl
        token = (api.AccessToken(self.api_key, self.api_secret)
                 .with_identity(identity)
                 .with_name(name)
                 .with_attributes({"role": role})
                 .with_ttl(self.ttl)
                 .with_grants(api.VideoGrants(room_join=True, room=room, can_publish=True,
                                              can_subscribe=True, can_publish_data=True))
                 .to_jwt())
        return RoomAccess(room_name=room, url=self.url, token=token, expires_at=expires_at)
