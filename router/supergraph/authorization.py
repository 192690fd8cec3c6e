"""Authorization directives of the supergraph (`@authenticated`, `@requiresScopes`, `@policy`), read as
Apollo Router reads them: on a field, or on the type a field returns (object, interface, scalar, enum)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, TypeDefinitionNode, value_from_ast_untyped

SPECS = ("authenticated", "requiresScopes", "policy")


@dataclass(frozen=True)
class Requirement:
    """What a request needs to read something. `scopes` and `policies` are alternatives of sets: one inner
    list fully held is enough (`[["a", "b"], ["c"]]` = a and b, or c)."""

    authenticated: bool = False
    scopes: tuple[frozenset[str], ...] = ()
    policies: tuple[frozenset[str], ...] = ()

    def __and__(self, other: Requirement) -> Requirement:
        return Requirement(
            self.authenticated or other.authenticated,
            _both(self.scopes, other.scopes),
            _both(self.policies, other.policies),
        )


@dataclass(frozen=True)
class Principal:
    """Who asks: whether a verified token came with the request, and the scopes and policies it grants."""

    authenticated: bool = False
    scopes: frozenset[str] = frozenset()
    policies: frozenset[str] = frozenset()

    def satisfies(self, req: Requirement) -> bool:
        if (req.authenticated or req.scopes or req.policies) and not self.authenticated:
            return False
        if req.scopes and not any(alt <= self.scopes for alt in req.scopes):
            return False
        return not req.policies or any(alt <= self.policies for alt in req.policies)


ANONYMOUS = Principal()


def _both(a: tuple[frozenset[str], ...], b: tuple[frozenset[str], ...]) -> tuple[frozenset[str], ...]:
    if not a or not b:
        return a or b
    return tuple(x | y for x in a for y in b)


def _alternatives(value: Any) -> tuple[frozenset[str], ...]:
    if not isinstance(value, list):
        return ()
    return tuple(frozenset(str(s) for s in alt) for alt in value if isinstance(alt, list))


def read_requirements(
    doc: DocumentNode, links: dict[str, str]
) -> tuple[dict[str, Requirement], dict[tuple[str, str], Requirement]]:
    """(type -> requirement, (type, field) -> requirement), from the directives under their linked names."""
    names = {links[s]: s for s in SPECS if s in links}
    types: dict[str, Requirement] = {}
    fields: dict[tuple[str, str], Requirement] = {}
    if not names:
        return types, fields

    def requirement(directives: Any) -> Requirement | None:
        req: Requirement | None = None
        for d in directives or ():
            spec = names.get(d.name.value)
            if spec is None:
                continue
            args = {a.name.value: value_from_ast_untyped(a.value) for a in d.arguments or ()}
            one = Requirement(
                authenticated=spec == "authenticated",
                scopes=_alternatives(args.get("scopes")) if spec == "requiresScopes" else (),
                policies=_alternatives(args.get("policies")) if spec == "policy" else (),
            )
            req = one if req is None else req & one
        return req

    for defn in doc.definitions:
        if not isinstance(defn, TypeDefinitionNode):
            continue
        r = requirement(defn.directives)
        if r is not None:
            types[defn.name.value] = r
        for fd in getattr(defn, "fields", None) or ():
            r = requirement(fd.directives)
            if r is not None:
                fields[(defn.name.value, fd.name.value)] = r
    return types, fields
