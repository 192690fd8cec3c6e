"""Semantic comparison of two supergraphs (ours vs another composer's).

Same API schema, same subgraphs, and the same effective ownership of every type and field, however each
composer spells its join__ directives."""

from __future__ import annotations

from typing import Any

from graphql import lexicographic_sort_schema, print_schema

from router.supergraph import Supergraph, load_supergraph


def _fs(fields: str | None) -> str | None:
    return " ".join(fields.replace("{", " { ").replace("}", " } ").split()) if fields else None


def describe(sdl: str) -> dict[str, Any]:
    sg: Supergraph = load_supergraph(sdl)
    names = {g.enum: g.name for g in sg.graphs.values()}
    out: dict[str, Any] = {
        "api": print_schema(lexicographic_sort_schema(sg.api_schema)),
        "graphs": sorted((g.name, g.url) for g in sg.graphs.values()),
        "types": {},
    }
    for t in sg.types.values():
        if t.name.startswith(("join__", "link__")):
            continue
        entry: dict[str, Any] = {
            "kind": t.kind,
            "graphs": sorted(
                (
                    names[g],
                    tuple(sorted((_fs(k.fields), k.resolvable) for k in tig.keys)),
                    tig.interface_object,
                )
                for g, tig in t.graphs.items()
            ),
            "implements": sorted((names[g], i) for g, ifs in t.implements.items() for i in ifs),
            "members": sorted((names[g], m) for g, ms in t.union_members.items() for m in ms),
            "fields": {},
        }
        for f in t.fields.values():
            if f.graphs is None:
                owners = {g: ("own",) for g in t.graphs}
            else:
                owners = {
                    g: ("external" if fg.external else "own", _fs(fg.requires), _fs(fg.provides), fg.override)
                    for g, fg in f.graphs.items()
                    if not fg.used_overridden
                }
                owners = {g: v if len(v) > 1 and any(v[1:]) else v[:1] for g, v in owners.items()}
            entry["fields"][f.name] = sorted((names[g], v) for g, v in owners.items())
        out["types"][t.name] = entry
    return out
