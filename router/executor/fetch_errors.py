"""Why a subgraph fetch gave no usable answer, and the error code the client sees for it."""

from __future__ import annotations

# The subgraph could not answer now (down, timed out, 5xx, or its breaker is open): try again later.
UNAVAILABLE = "SUBGRAPH_UNAVAILABLE"
# It answered, but not with a GraphQL response (a 4xx page, invalid JSON): a configuration problem.
HTTP_ERROR = "SUBREQUEST_HTTP_ERROR"

CONNECTION, TIMEOUT, SERVER_ERROR, CIRCUIT_OPEN, BAD_RESPONSE = (
    "CONNECTION",
    "TIMEOUT",
    "SERVER_ERROR",
    "CIRCUIT_OPEN",
    "BAD_RESPONSE",
)


class SubgraphFetchError(Exception):
    """`reason`: CONNECTION, TIMEOUT, SERVER_ERROR (5xx), CIRCUIT_OPEN (nothing sent), BAD_RESPONSE.
    A 5xx that still carried a JSON body keeps it in `body`: passed on once retries are spent."""

    def __init__(
        self,
        service: str,
        message: str,
        reason: str = CONNECTION,
        body: bytes | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.service = service
        self.reason = reason
        self.body = body
        self.retry_after_s = retry_after_s

    @property
    def transient(self) -> bool:
        """The subgraph is (for now) unable to answer: counts against its breaker, may be retried."""
        return self.reason in (CONNECTION, TIMEOUT, SERVER_ERROR)

    @property
    def code(self) -> str:
        return HTTP_ERROR if self.reason == BAD_RESPONSE else UNAVAILABLE
