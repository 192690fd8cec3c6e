"""Helpers for tests and benchmarks: free ports, a MongoDB wire server, serving an app on a real socket.

Production code never imports this package (import-linter checks it)."""

from libs.db.mongo_server import MongoServer
from libs.testing.net import free_port, wait_for_port
from libs.testing.serve import running_app

__all__ = ["MongoServer", "free_port", "running_app", "wait_for_port"]
