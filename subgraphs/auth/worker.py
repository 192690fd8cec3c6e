"""The auth subgraph's background work: the outbox relay, which publishes committed events (user.signed_up,
user.suspended, ...) on the `auth` stream. Runs inside the API process (AUTH_WORKERS=true, the default) or as
a process of its own: `manpasik worker auth`. Any number of copies may run: the relay locks its rows."""

from __future__ import annotations

from libs.events.workers import EventWorkers
from subgraphs.auth.resources import AuthResources


class AuthWorkers(EventWorkers):
    name = "auth"

    def __init__(self, res: AuthResources) -> None:
        # The relay is built with the resources (each commit wakes it); it runs here.
        super().__init__(consumers=[], loops=[res.relay.run])
