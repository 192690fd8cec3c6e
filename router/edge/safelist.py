"""The safelist: the operations of the app's documents (`schema/operations/*.graphql` for this platform),
each with the fragments it uses, in canonical form (printed, so whitespace and comments do not matter).

A request's operation is safelisted when its canonical text is one of these. Each entry is also offered to
automatic persisted queries under the sha256 of its canonical text, so a client built from the same
documents may send the hash alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from graphql import FragmentDefinitionNode, GraphQLError, OperationDefinitionNode, parse

from router.edge.analysis import canonical_text


@dataclass(frozen=True)
class SafelistedOperations:
    texts: frozenset[str]
    by_hash: dict[str, str]  # sha256 hex of the canonical text -> the text
    names: tuple[str, ...]

    def __contains__(self, canonical: str) -> bool:
        return canonical in self.texts


EMPTY = SafelistedOperations(frozenset(), {}, ())


def load_safelist(path: str | None) -> SafelistedOperations:
    """Every operation in the .graphql files of `path` (a folder, or one file); ValueError when a document
    does not parse or an operation has no name."""
    if not path:
        return EMPTY
    root = Path(path)
    files = sorted(root.glob("*.graphql")) if root.is_dir() else [root]
    if not files or not all(f.is_file() for f in files):
        raise ValueError(f"safelist: no .graphql documents at {path}")
    texts: dict[str, str] = {}
    names: list[str] = []
    for file in files:
        try:
            doc = parse(file.read_text())
        except GraphQLError as exc:
            raise ValueError(f"safelist: {file}: {exc.message}") from None
        fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
        for d in doc.definitions:
            if isinstance(d, OperationDefinitionNode):
                if d.name is None:
                    raise ValueError(f"safelist: {file}: every operation needs a name")
                text = canonical_text(d, fragments)
                texts[sha256_hex(text)] = text
                names.append(d.name.value)
    return SafelistedOperations(frozenset(texts.values()), texts, tuple(names))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
