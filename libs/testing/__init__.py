"""Helpers for tests and the dev stack: free ports, a MongoDB wire server, serving an app on a real socket."""

from libs.testing.mongo_server import MongoServer
from libs.testing.net import free_port, wait_for_port
from libs.testing.serve import running_app

__all__ = ["MongoServer", "free_port", "running_app", "wait_for_port"]
