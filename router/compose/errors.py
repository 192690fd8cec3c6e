"""Composition errors name the subgraph, type and field at fault."""

from __future__ import annotations


class CompositionError(Exception):
    """One or more composition problems; `problems` keeps each message with its code."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"[{code}] {msg}" for code, msg in problems))
