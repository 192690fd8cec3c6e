"""What the HTTP surface allows: body size, CSRF prevention, the GraphiQL explorer."""

from __future__ import annotations

from dataclasses import dataclass

# Apollo's names: Apollo Client sends `x-apollo-operation-name` or `apollo-require-preflight` when asked to.
DEFAULT_CSRF_HEADERS = ("x-apollo-operation-name", "apollo-require-preflight")


@dataclass(frozen=True)
class HttpSettings:
    # GET operations (which a browser sends cross-site without a preflight) are refused unless they carry a
    # non-simple Content-Type or one of these headers; None turns the prevention off. Form posts never run:
    # POST needs a JSON content type, which browsers preflight.
    csrf_required_headers: tuple[str, ...] | None = DEFAULT_CSRF_HEADERS
    max_body_bytes: int = 8 * 1024 * 1024
    # GraphiQL on a browser's GET of /graphql, its assets under /graphiql/ (`manpasik router`: off in prod).
    graphiql: bool = True
