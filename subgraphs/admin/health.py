"""System health: every subgraph and store as the router sees them, from the `/ready` of the router and of
each subgraph, asked at once (one slow or dead service costs the timeout, not the sum)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from libs.time import utcnow

UP, DOWN, DEGRADED = "UP", "DOWN", "DEGRADED"


@dataclass(frozen=True)
class Health:
    service: str  # "router", "auth", or a store of a subgraph: "auth/database"
    status: str  # UP | DEGRADED | DOWN
    latency_ms: float | None
    checked_at: datetime
    detail: str | None


class HealthProbe:
    def __init__(self, client: httpx.AsyncClient, router_url: str | None, subgraph_urls: Mapping[str, str],
                 timeout_s: float) -> None:
        self.client = client
        self.router_url = router_url
        self.subgraph_urls = subgraph_urls
        self.timeout_s = timeout_s

    async def check(self) -> list[Health]:
        targets = [("router", self.router_url)] if self.router_url else []
        targets += sorted(self.subgraph_urls.items())
        found = await asyncio.gather(*(self._one(name, url) for name, url in targets))
        return [h for rows in found for h in rows]

    async def _one(self, name: str, base: str) -> list[Health]:
        url = base.rstrip("/").removesuffix("/graphql") + "/ready"
        started = time.perf_counter()
        try:
            response = await self.client.get(url, timeout=self.timeout_s)
            body: Any = response.json()
        except (httpx.HTTPError, ValueError) as e:
            return [Health(name, DOWN, None, utcnow(), f"{type(e).__name__}: {str(e)[:160]}")]
        latency = round((time.perf_counter() - started) * 1000, 1)
        at = utcnow()
        body = body if isinstance(body, dict) else {}
        if response.status_code != 200:
            detail = str(body.get("error") or body.get("status") or f"HTTP {response.status_code}")
            return [Health(name, DOWN, latency, at, detail[:200])]
        checks = body.get("checks") if isinstance(body.get("checks"), dict) else {}
        # Each store a subgraph reports ("database": "ok"), and its consumers' backlogs, as rows of their own.
        stores = [Health(f"{name}/{key}", _check_status(key, str(value)), latency, at,
                         None if value == "ok" else str(value)[:200])
                  for key, value in sorted(checks.items())]
        status = UP if all(s.status == UP for s in stores) else DEGRADED
        return [Health(name, status, latency, at, None), *stores]


def _check_status(key: str, value: str) -> str:
    """A store answers "ok"; a consumer backlog ("events:<stream>/<group>": "lag=3 pending=0 dead=0") is
    reported as it is, and only dead letters (events given up on) degrade it."""
    if key.startswith("events:"):
        dead = value.rpartition("dead=")[2]
        return DEGRADED if dead.isdigit() and int(dead) > 0 else UP
    return UP if value == "ok" else DEGRADED
