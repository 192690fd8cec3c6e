"""SDL snapshots under schema/: each subgraph's SDL (as the router fetches it) and the composed supergraph.

`manpasik schema` writes them, refusing a change that breaks clients (found with graphql-core's
`find_breaking_changes` on the API schema) unless each break is listed in `schema/allowed-breaks.txt` or
`--allow-breaking` is given. `manpasik schema --check` fails when the committed files differ from the code,
and reports which contract operations (`../shared/contract/`, or `schema/operations/`) validate.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from pathlib import Path

from graphql import DocumentNode, GraphQLSchema, find_breaking_changes, parse, validate

from manpasik import registry
from router.compose import SubgraphSDL, compose
from router.supergraph.loader import load_supergraph

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "schema"
ALLOWED_BREAKS = SCHEMA_DIR / "allowed-breaks.txt"
OPERATIONS_DIR = SCHEMA_DIR / "operations"
# Contract operations the backend already serves: each must keep validating against the supergraph.
REQUIRED_OPERATIONS = OPERATIONS_DIR / "required.txt"


def subgraph_sdl(name: str) -> str:
    schema = importlib.import_module(f"{registry.subgraph(name).package}.schema").schema
    result = schema.execute_sync("{ _service { sdl } }")
    if result.errors:
        raise RuntimeError(f"{name}: {result.errors[0].message}")
    return str(result.data["_service"]["sdl"]).strip() + "\n"


def current_snapshots() -> dict[Path, str]:
    sdls = {name: subgraph_sdl(name) for name in registry.names()}
    files = {SCHEMA_DIR / "subgraphs" / f"{n}.graphql": sdl for n, sdl in sdls.items()}
    supergraph = compose(
        [
            SubgraphSDL(name=n, url=f"http://127.0.0.1:{registry.port(n)}/graphql", sdl=sdl)
            for n, sdl in sdls.items()
        ]
    )
    files[SCHEMA_DIR / "supergraph.graphql"] = supergraph.strip() + "\n"
    return files


def api_schema(supergraph_sdl: str) -> GraphQLSchema:
    """The client-facing schema, exactly as the router serves it."""
    return load_supergraph(supergraph_sdl).api_schema


def breaking_changes(old_supergraph: str, new_supergraph: str) -> list[str]:
    changes = find_breaking_changes(api_schema(old_supergraph), api_schema(new_supergraph))
    return [f"{c.type.name}: {c.description}" for c in changes]


def contract_operations() -> dict[str, str]:
    """Operation documents the clients rely on: schema/operations/*.graphql, else the shared contract."""
    folders = [OPERATIONS_DIR, ROOT.parent / "shared" / "contract"]
    for folder in folders:
        files = sorted(folder.glob("*.graphql")) if folder.is_dir() else []
        if files:
            return {f.name: f.read_text() for f in files}
    return {}


def validate_operations(supergraph_sdl: str) -> dict[str, list[str]]:
    """operation name -> validation errors (empty when the operation validates)."""
    schema = api_schema(supergraph_sdl)
    out: dict[str, list[str]] = {}
    for text in contract_operations().values():
        for definition in parse(text).definitions:
            name = getattr(getattr(definition, "name", None), "value", "?")
            single = DocumentNode(definitions=(definition,))
            out[name] = [e.message for e in validate(schema, single)]
    return out


def write_snapshots(allow_breaking: bool = False) -> int:
    files = current_snapshots()
    target = SCHEMA_DIR / "supergraph.graphql"
    if target.exists() and not allow_breaking:
        allowed = _listed(ALLOWED_BREAKS)
        breaks = [b for b in breaking_changes(target.read_text(), files[target]) if b not in allowed]
        if breaks:
            print(
                "refusing to write: the change breaks clients. Mark each intended break in "
                f"{ALLOWED_BREAKS.relative_to(ROOT)} (one line each) or pass --allow-breaking:",
                file=sys.stderr,
            )
            for b in breaks:
                print(f"  {b}", file=sys.stderr)
            return 1
    (SCHEMA_DIR / "subgraphs").mkdir(parents=True, exist_ok=True)
    for stale in (SCHEMA_DIR / "subgraphs").glob("*.graphql"):
        if stale not in files:
            stale.unlink()
    for path, text in files.items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


def check_snapshots() -> int:
    files = current_snapshots()
    stale = []
    for path, text in files.items():
        old = path.read_text() if path.exists() else ""
        if old != text:
            stale.append(path)
            diff = difflib.unified_diff(
                old.splitlines(), text.splitlines(), str(path.relative_to(ROOT)), "code", lineterm="", n=2
            )
            print("\n".join(list(diff)[:60]))
    extra = [p for p in (SCHEMA_DIR / "subgraphs").glob("*.graphql") if p not in files]
    if stale or extra:
        print(
            f"schema snapshots are stale ({len(stale) + len(extra)} files): run `make schema` and commit",
            file=sys.stderr,
        )
        return 1
    results = validate_operations(files[SCHEMA_DIR / "supergraph.graphql"])
    valid = sorted(n for n, errs in results.items() if not errs)
    required = _listed(REQUIRED_OPERATIONS)
    broken = [
        f"{n}: {(results.get(n) or ['not in the contract'])[0]}" for n in sorted(required) if n not in valid
    ]
    if broken:
        print("contract operations that must validate do not:", file=sys.stderr)
        for line in broken:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(
        f"schema snapshots match the code; {len(valid)}/{len(results)} contract operations validate "
        f"({len(required)} required)"
    )
    return 0


def _listed(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")}
