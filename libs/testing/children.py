"""Child processes that cannot outlive their parent (kept here for tests; the code is `libs.processes`)."""

from libs.processes import die_with_parent

__all__ = ["die_with_parent"]
