"""MongoDB through Beanie on PyMongo's async client (works against MongoDB and the nx-27017 wire server)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from beanie import init_beanie
from pymongo import AsyncMongoClient


async def connect_mongo(url: str, database: str, models: Sequence[Any]) -> AsyncMongoClient[Any]:
    client: AsyncMongoClient[Any] = AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000)
    await init_beanie(database=client[database], document_models=list(models))
    return client
