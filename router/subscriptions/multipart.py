"""Apollo's multipart HTTP protocol (subscriptions, and @defer's incremental delivery), framed as Apollo
Router frames it: every part is closed by the next boundary as soon as it is written, because Apollo
Client, Apollo Kotlin and Apollo iOS release a part only when they read the boundary after it.

    \\r\\n--graphql\\r\\ncontent-type: application/json\\r\\n\\r\\n{...}\\r\\n--graphql      first part
    \\r\\ncontent-type: application/json\\r\\n\\r\\n{...}\\r\\n--graphql                   every next part
    --\\r\\n  (after a closed part: the end)    or    ...{...}\\r\\n--graphql--\\r\\n  (a last part)

Subscription parts carry `{"payload": result}`; `{}` is a heartbeat; an error that ends the subscription is
`{"payload": null, "errors": [...]}` in the last part. Defer parts are the incremental results themselves.
"""

from __future__ import annotations

from typing import Any

import orjson

SUBSCRIPTION_CONTENT_TYPE = 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0'
DEFER_CONTENT_TYPE = 'multipart/mixed;boundary="graphql";deferSpec=20220824'
_FIRST = b"\r\n--graphql"
_HEAD = b"\r\ncontent-type: application/json\r\n\r\n"
_CLOSE = b"\r\n--graphql"
_CLOSE_LAST = b"\r\n--graphql--\r\n"
_END = b"--\r\n"
HEARTBEAT = b"{}"


class MultipartFramer:
    """The bytes of one multipart response, chunk by chunk (the first part also opens the body)."""

    __slots__ = ("_started", "finished")

    def __init__(self) -> None:
        self._started = False
        self.finished = False

    def part(self, body: bytes, last: bool = False) -> bytes:
        head = _HEAD
        if not self._started:
            self._started = True
            head = _FIRST + _HEAD
        self.finished = last
        return head + body + (_CLOSE_LAST if last else _CLOSE)

    def heartbeat(self) -> bytes:
        return self.part(HEARTBEAT)

    def end(self) -> bytes:
        """Ends the body: the last part is already closed by a boundary, which becomes the final one."""
        self.finished = True
        if not self._started:
            return self.part(HEARTBEAT, last=True)
        return _END


def subscription_part(result: dict[str, Any]) -> tuple[bytes, bool]:
    """A subscription result as a part body, and whether it ends the subscription (a transport error)."""
    if "data" in result:
        return orjson.dumps({"payload": result}), False
    return orjson.dumps({"payload": None, "errors": result.get("errors") or []}), True
