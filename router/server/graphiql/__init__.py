"""GraphiQL, served by the router from files shipped in this package, so that it works with no internet.

A browser's GET of /graphql (`Accept: text/html`, no `query`) gets `index.html`; it loads every asset from
`graphiql/<file>` on the router itself and has no inline script or style, so it runs under the strict
same-origin Content-Security-Policy it is sent with. `explorer.js` starts GraphiQL against the page's own URL:
queries over HTTP, subscriptions over graphql-transport-ws, the Headers tab's headers on both (for a socket,
in `connection_init`). The vendored bundles, their versions and how to refresh them: `vendor/NOTICE.md`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aiohttp import web

from router.server.http_protocol import error_response

HERE = Path(__file__).resolve().parent
# The only files served under /graphiql/: a fixed list, so no request can name any other path.
ASSETS = {
    "explorer.js": HERE / "explorer.js",
    "explorer.css": HERE / "explorer.css",
    "graphiql.min.js": HERE / "vendor" / "graphiql.min.js",
    "graphiql.min.css": HERE / "vendor" / "graphiql.min.css",
    "react.production.min.js": HERE / "vendor" / "react.production.min.js",
    "react-dom.production.min.js": HERE / "vendor" / "react-dom.production.min.js",
}
# GraphiQL's stylesheet embeds its fonts and icons as data: URLs; everything else comes from the router.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self' data:; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


@cache
def _page() -> bytes:
    return (HERE / "index.html").read_bytes()


def page() -> web.Response:
    return web.Response(body=_page(), content_type="text/html", charset="utf-8", headers=PAGE_HEADERS)


async def asset(request: web.Request) -> web.StreamResponse:
    path = ASSETS.get(request.match_info["name"])
    if path is None:
        return error_response(404, "No such GraphiQL asset.", "NOT_FOUND")
    # FileResponse answers If-None-Match / If-Modified-Since with 304; no-cache makes browsers ask each time,
    # so a refreshed bundle is never stale.
    return web.FileResponse(path, headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/graphiql/{name}", asset)
