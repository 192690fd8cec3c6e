"""HTTP transport to subgraphs: pooled keep-alive connections, per-fetch timeout, and the breakers and
retries of `resilience.FetchPolicy` around every try.

Plain-HTTP subgraphs go through the lean client of `http1.py` (about 1/5 of aiohttp's CPU per fetch);
any other URL (https, ...) through one aiohttp session (aiohttp's client was measured ~20x faster than
httpx for this fan-out, see ARCHITECTURE.md).
Identical in-flight query fetches (same subgraph, body, credentials and language) share one request,
as Hive Gateway does by default; each caller still parses its own copy of the bytes.
"""

from __future__ import annotations

import asyncio
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp

from router.executor.fetch_errors import BAD_RESPONSE, SERVER_ERROR, TIMEOUT, SubgraphFetchError
from router.executor.http1 import ConnectionFailed, Http1Client
from router.executor.resilience import FetchPolicy

__all__ = ["AiohttpTransport", "SubgraphFetchError", "Transport"]

Request = tuple[str, str, bytes, dict[str, str]]  # service, url, body, headers


class Transport(Protocol):
    async def post(
        self,
        service: str,
        url: str,
        body: bytes,
        headers: dict[str, str],
        dedup: bool,
        idempotent: bool = False,
    ) -> bytes: ...

    async def close(self) -> None: ...


class AiohttpTransport:
    def __init__(
        self,
        timeout: float = 30.0,
        dedup: bool = True,
        pool_per_host: int = 256,
        policy: FetchPolicy | None = None,
    ) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._fetch_s = timeout
        self.policy = policy or FetchPolicy()
        self.breakers = self.policy.breakers  # read-only use: `breakers.statuses()` (metrics, health)
        query_s = self.policy.settings.query_timeout_s
        self._query_timeout = (query_s, aiohttp.ClientTimeout(total=min(query_s, timeout)))
        self.dedup = dedup
        self.pool_per_host = pool_per_host
        self._session: aiohttp.ClientSession | None = None
        self._inflight: dict[tuple[str, bytes, tuple[str, str]], asyncio.Future[bytes]] = {}
        self._http1 = Http1Client(pool_per_host)
        self._plain: dict[str, tuple[str, int, str] | None] = {}  # url -> (host, port, target) for http://

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=0, limit_per_host=self.pool_per_host, keepalive_timeout=60, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self.timeout, skip_auto_headers=("User-Agent",)
            )
        return self._session

    async def post(
        self,
        service: str,
        url: str,
        body: bytes,
        headers: dict[str, str],
        dedup: bool,
        idempotent: bool = False,
    ) -> bytes:
        """`idempotent`: a fetch of a query or subscription, which may be retried."""
        if not (dedup and self.dedup):
            return await self.policy.call(service, idempotent, self._once, (service, url, body, headers))
        # Tracing headers (x-request-id, traceparent) are left out of the key: the shared fetch carries the
        # first caller's ids. Authorization and language stay in, so answers never cross users or locales.
        key = (url, body, (headers.get("authorization", ""), headers.get("accept-language", "")))
        fut = self._inflight.get(key)
        if fut is not None:
            return await asyncio.shield(fut)
        fut = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            result = await self.policy.call(service, idempotent, self._once, (service, url, body, headers))
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # mark retrieved: waiters may be none
            raise
        else:
            fut.set_result(result)
            return result
        finally:
            del self._inflight[key]

    async def _once(self, timeout_s: float | None, request: Request) -> bytes:
        """One HTTP try; `timeout_s` None: the fetch timeout (mutations)."""
        service, url, body, headers = request
        if url not in self._plain:
            self._plain[url] = _plain_http(url)
        plain = self._plain[url]
        if plain is not None:
            limit = self._fetch_s if timeout_s is None else min(timeout_s, self._fetch_s)
            try:
                status, data = await self._http1.post(*plain, body, headers, limit)
            except TimeoutError:
                raise SubgraphFetchError(service, "timed out", TIMEOUT) from None
            except ConnectionFailed as exc:
                raise SubgraphFetchError(service, str(exc)) from None
            if status >= 500:
                raise SubgraphFetchError(
                    service, f"HTTP {status}", SERVER_ERROR, data if data.startswith(b"{") else None
                )
            if status >= 400 and not data.startswith(b"{"):
                raise SubgraphFetchError(service, f"HTTP {status}", BAD_RESPONSE)
            return data
        if timeout_s is None:
            timeout = self.timeout
        elif timeout_s == self._query_timeout[0]:
            timeout = self._query_timeout[1]
        else:
            timeout = aiohttp.ClientTimeout(total=timeout_s)
        try:
            async with self.session().post(url, data=body, headers=headers, timeout=timeout) as resp:
                data = await resp.read()
                if resp.status >= 500:
                    json_body = data if data.startswith(b"{") else None
                    raise SubgraphFetchError(service, f"HTTP {resp.status}", SERVER_ERROR, json_body)
                if resp.status >= 400 and not data.startswith(b"{"):
                    raise SubgraphFetchError(service, f"HTTP {resp.status}", BAD_RESPONSE)
                return data
        except SubgraphFetchError:
            raise
        except TimeoutError:
            raise SubgraphFetchError(service, "timed out", TIMEOUT) from None
        except aiohttp.ClientError as exc:
            raise SubgraphFetchError(service, str(exc) or exc.__class__.__name__) from None

    async def close(self) -> None:
        self._http1.close()
        if self._session is not None:
            await self._session.close()
            self._session = None


def _plain_http(url: str) -> tuple[str, int, str] | None:
    """(host, port, request target) of a plain http:// URL; None for anything else."""
    u = urlsplit(url)
    if u.scheme != "http" or not u.hostname or u.username or u.password:
        return None
    target = (u.path or "/") + (f"?{u.query}" if u.query else "")
    return u.hostname, u.port or 80, target
