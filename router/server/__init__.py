"""The router's HTTP surface and its process lifecycle."""

from router.server.app import RouterApp
from router.server.edge_auth import TokenVerifier
from router.server.run import serve

__all__ = ["RouterApp", "TokenVerifier", "serve"]
