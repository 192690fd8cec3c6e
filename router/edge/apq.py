"""Automatic persisted queries, Apollo's protocol (`extensions.persistedQuery: {version: 1, sha256Hash}`).

A hash alone: the query registered under it (this process's LRU, then Redis), else PERSISTED_QUERY_NOT_FOUND
so the client sends hash and query together; those are checked (the hash must be the query's sha256, else
PERSISTED_QUERY_HASH_MISMATCH) and registered once the edge has admitted the operation (refused documents
are never stored; Redis keeps those up to 100 kB, for 7 days). GET and POST alike. The safelist's operations
are registered from the start.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from router.edge.store import EdgeRedis
from router.gateway.cache import LRU
from router.gateway.prepare import RequestError, gql_error

TTL_S = 7 * 24 * 3600
MAX_SHARED_BYTES = 100_000  # larger documents stay in this process's LRU only
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PersistedQueries:
    def __init__(self, size: int, redis: EdgeRedis | None, preloaded: dict[str, str]) -> None:
        self.lru: LRU[str, str] = LRU(max(size, 1))
        self.redis = redis
        self.preloaded = preloaded

    async def resolve(self, query: Any, persisted: Any) -> tuple[str, str | None]:
        """The query text a request stands for, and the hash to register it under once the edge has
        admitted it (None: already known), so only documents that pass the checks are stored."""
        if not isinstance(persisted, dict):
            raise RequestError([gql_error("`extensions.persistedQuery` must be an object.", "BAD_REQUEST")])
        if persisted.get("version", 1) != 1:
            raise RequestError(
                [gql_error("Unsupported persisted query version.", "PERSISTED_QUERY_NOT_SUPPORTED")]
            )
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _SHA256.match(digest.lower()):
            raise RequestError(
                [gql_error("`persistedQuery.sha256Hash` must be a sha256 hex digest.", "BAD_REQUEST")]
            )
        digest = digest.lower()
        if isinstance(query, str) and query:
            if hashlib.sha256(query.encode()).hexdigest() != digest:
                raise RequestError(
                    [gql_error("The provided sha does not match the query.", "PERSISTED_QUERY_HASH_MISMATCH")]
                )
            return query, None if self.lru.get(digest) is not None else digest
        known = self.lru.get(digest) or self.preloaded.get(digest)
        if known is None and self.redis is not None:
            raw = await self.redis.get(self.redis.key("apq", digest))
            if raw is not None:
                known = raw.decode()
                self.lru.put(digest, known)
        if known is None:
            # Apollo's message and code: clients retry with the query on exactly this.
            raise RequestError([gql_error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")])
        return known, None

    async def register(self, digest: str, query: str) -> None:
        self.lru.put(digest, query)
        if self.redis is not None and len(query) <= MAX_SHARED_BYTES:
            await self.redis.set(self.redis.key("apq", digest), query, TTL_S)
