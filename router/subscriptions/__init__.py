"""GraphQL subscriptions through the router (client: WebSocket, SSE, multipart; subgraph: WebSocket)."""

from router.subscriptions.handler import SubscriptionHandler

__all__ = ["SubscriptionHandler"]
