"""The app's contract operations (schema/operations/*.graphql), by name, exactly as the app sends them."""

from __future__ import annotations

from pathlib import Path

from graphql import OperationDefinitionNode, parse, print_ast

OPERATIONS = Path(__file__).resolve().parents[2] / "schema" / "operations"


def contract_operation(name: str, file: str = "mobile.graphql") -> str:
    for d in parse((OPERATIONS / file).read_text()).definitions:
        if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == name:
            return print_ast(d)
    raise KeyError(f"{name} is not in {file}")
