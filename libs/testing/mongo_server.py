"""The nx-27017 MongoDB wire server for tests (the code is `libs.db.mongo_server`, used by the dev stack)."""

from libs.db.mongo_server import MongoServer

__all__ = ["MongoServer"]
