"""CORS (an allow-list of origins, preflights answered here) and security headers on every answer.

The headers are those of the seed's Nginx gateway plus a CSP: answers may load nothing and be framed by no
one, except those that bring their own policy (the GraphiQL page's strict same-origin one). HSTS in prod.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from router.edge.settings import Cors, EdgeSettings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Answers that set their own policy keep it (the GraphiQL page's, router/server/graphiql/); every other one
# may load nothing and be framed by no one.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
HSTS = "max-age=31536000; includeSubDomains"
METHODS = "GET, POST, PUT, DELETE, OPTIONS"
EXPOSED = "Retry-After, x-request-id"
REFUSED_ORIGIN = (
    b'{"errors":[{"message":"Origin not allowed.","extensions":{"code":"CORS_ORIGIN_NOT_ALLOWED"}}]}'
)


def install(app: web.Application, settings: EdgeSettings) -> None:
    """Adds the CORS middleware and the header hook to `app` (before it starts)."""
    cors = settings.cors
    fixed: dict[str, str] = {}
    if settings.security_headers:
        fixed = {
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
        }
        if settings.hsts:
            fixed["Strict-Transport-Security"] = HSTS
    any_origin = "*" in cors.origins
    origins = frozenset(cors.origins)

    def allowed(origin: str) -> bool:
        return any_origin or origin in origins

    @web.middleware
    async def preflight(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            origin = request.headers.get("origin")
            if origin and allowed(origin):
                return web.Response(status=204, headers=_preflight_headers(cors, origin, request))
            return web.Response(status=403, body=REFUSED_ORIGIN, content_type="application/json")
        return await handler(request)

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        headers = response.headers
        if fixed:
            for name, value in fixed.items():
                headers.setdefault(name, value)
            headers.setdefault("Content-Security-Policy", API_CSP)
        origin = request.headers.get("origin")
        if origin and allowed(origin) and "Access-Control-Allow-Origin" not in headers:
            headers["Access-Control-Allow-Origin"] = origin
            headers.add("Vary", "Origin")
            headers["Access-Control-Expose-Headers"] = EXPOSED
            if cors.allow_credentials:
                headers["Access-Control-Allow-Credentials"] = "true"

    app.middlewares.append(preflight)  # no origins configured: every preflight is refused
    app.on_response_prepare.append(on_prepare)


def _preflight_headers(cors: Cors, origin: str, request: web.Request) -> dict[str, str]:
    out = {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": METHODS,
        "Access-Control-Max-Age": str(cors.max_age),
        "Vary": "Origin, Access-Control-Request-Headers",
    }
    requested = request.headers.get("access-control-request-headers")
    if (
        requested
    ):  # any header the client names (Authorization, apollographql-client-name, ...), as Apollo Router
        out["Access-Control-Allow-Headers"] = requested
    if cors.allow_credentials:
        out["Access-Control-Allow-Credentials"] = "true"
    return out
