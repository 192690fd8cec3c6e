"""Free ports and waiting for a listener (kept here for tests; the code is `libs.processes`)."""

from libs.processes import free_port, wait_for_port

__all__ = ["free_port", "wait_for_port"]
