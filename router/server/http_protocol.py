"""GraphQL over HTTP: what the client accepts, which requests are well formed, which status a result gets.

Media types (spec: https://graphql.github.io/graphql-over-http/draft/): a single result is sent as
`application/graphql-response+json` when the client prefers it (request errors then get 4xx) and as
`application/json` otherwise (request errors then get 200, as the spec asks for legacy clients). Streams:
`multipart/mixed` (Apollo's multipart protocol, subscriptions and @defer) and `text/event-stream`
(graphql-sse).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from router.edge.codes import REQUEST_ERROR_CODES
from router.telemetry.metrics import count_error

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"

# Errors of the GraphQL request itself (not of the HTTP request): 200 under application/json.
GRAPHQL_REQUEST_ERROR_CODES = frozenset(
    {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT", "OPERATION_RESOLUTION_FAILURE"}
    | REQUEST_ERROR_CODES
)
# Content types a browser may send cross-site without a CORS preflight.
NON_PREFLIGHTED_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
CSRF_MESSAGE = (
    "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
    "Please either specify a 'content-type' header (with a mime-type that is not one of "
    + ", ".join(NON_PREFLIGHTED_CONTENT_TYPES)
    + ") or provide one of the following headers: {headers}"
)


@dataclass(frozen=True, slots=True)
class Accepts:
    """What one Accept header allows: `single` is the media type of a one-result answer (None: neither JSON
    type is acceptable); the stream flags say which incremental protocols the client reads."""

    single: str | None
    multipart_subscription: bool = False
    multipart_defer: bool = False
    event_stream: bool = False

    @property
    def streams(self) -> bool:
        return self.multipart_subscription or self.multipart_defer or self.event_stream


_PLAIN = Accepts(JSON)
_cache: dict[str, Accepts] = {"": _PLAIN, "*/*": _PLAIN, JSON: _PLAIN}


def negotiate(accept: str | None) -> Accepts:
    """Parses an Accept header (cached per distinct value: clients send the same few)."""
    if accept is None:
        return _PLAIN
    hit = _cache.get(accept)
    if hit is None:
        hit = _parse_accept(accept)
        if len(_cache) < 256:
            _cache[accept] = hit
    return hit


def _parse_accept(accept: str) -> Accepts:
    best: tuple[float, int, str] | None = None  # (q, -position, media type) of the best single-result type
    sub = defer = sse = False
    for pos, item in enumerate(accept.split(",")):
        parts = [p.strip() for p in item.split(";")]
        media = parts[0].lower()
        params: dict[str, str] = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            params[k.strip().lower()] = v.strip().strip('"')
        try:
            q = float(params.get("q", "1"))
        except ValueError:
            q = 1.0
        if q <= 0:
            continue
        if media == "multipart/mixed":
            has_sub, has_defer = "subscriptionspec" in params, "deferspec" in params
            sub = sub or has_sub or not has_defer
            defer = defer or has_defer or not has_sub
            continue
        if media == "text/event-stream":
            sse = True
            continue
        if media == GRAPHQL_RESPONSE_JSON:
            chosen = GRAPHQL_RESPONSE_JSON
        elif media in (JSON, "application/*", "*/*"):
            chosen = JSON
        else:
            continue
        cand = (q, -pos, chosen)
        if best is None or cand[:2] > best[:2]:
            best = cand
    if accept.strip() == "":
        return _PLAIN
    return Accepts(best[2] if best else None, sub, defer, sse)


def request_error_status(media: str, status: int, errors: list[dict[str, Any]]) -> int:
    """The status of an answer without data: GraphQL request errors are 200 under application/json."""
    if status == 400 and media == JSON and errors:
        codes = {(e.get("extensions") or {}).get("code") for e in errors}
        if codes <= GRAPHQL_REQUEST_ERROR_CODES:
            return 200
    return status


class BadRequest(Exception):
    """An HTTP request that is not a well-formed GraphQL-over-HTTP request (always 4xx)."""

    def __init__(self, message: str, status: int = 400, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def error_body(message: str, code: str) -> bytes:
    count_error(code)  # every transport-level refusal passes here
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


def error_response(
    status: int, message: str, code: str = "BAD_REQUEST", media: str = JSON, headers: Any = None
) -> web.Response:
    return web.Response(status=status, body=error_body(message, code), content_type=media, headers=headers)


def check_params(payload: Any) -> dict[str, Any]:
    """The request parameters, checked as the spec requires of a well-formed request."""
    if not isinstance(payload, dict):
        raise BadRequest("The request body must be a JSON object.")
    query = payload.get("query")
    if query is None and not _persisted(payload):
        raise BadRequest("GraphQL operations must contain a `query` string.")
    if query is not None and not isinstance(query, str):
        raise BadRequest("`query` must be a string.")
    name = payload.get("operationName")
    if name is not None and not isinstance(name, str):
        raise BadRequest("`operationName` must be a string.")
    for key in ("variables", "extensions"):
        value = payload.get(key)
        if value is not None and not isinstance(value, dict):
            raise BadRequest(f"`{key}` must be a JSON object.")
    return payload


def _persisted(payload: dict[str, Any]) -> bool:
    """An automatic persisted query may come without `query` (router/edge/apq.py resolves it)."""
    ext = payload.get("extensions")
    return isinstance(ext, dict) and ext.get("persistedQuery") is not None


def params_from_query_string(query: Any) -> dict[str, Any]:
    """GET parameters: `query`, `operationName`, and URL-encoded JSON `variables` and `extensions`."""
    out: dict[str, Any] = {"query": query.get("query"), "operationName": query.get("operationName")}
    for key in ("variables", "extensions"):
        raw = query.get(key)
        if raw:
            try:
                out[key] = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise BadRequest(f"`{key}` is not valid JSON.") from None
    return check_params(out)


def is_json_content_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    essence = content_type.split(";", 1)[0].strip().lower()
    return essence in (JSON, GRAPHQL_RESPONSE_JSON) or (
        essence.startswith("application/") and essence.endswith("+json")
    )


def csrf_refusal(headers: Any, required: tuple[str, ...]) -> str | None:
    """Why a request that executes an operation is refused as a possible CSRF, or None: it must be one a
    browser would have preflighted (a non-simple content type, or one of `required` headers), as Apollo Router
    and Yoga's CSRF prevention decide."""
    content_type = headers.get("content-type")
    if content_type:
        essence = content_type.split(";", 1)[0].strip().lower()
        if essence and essence not in NON_PREFLIGHTED_CONTENT_TYPES:
            return None
    if any(headers.get(h) is not None for h in required):
        return None
    return CSRF_MESSAGE.format(headers=", ".join(required))
