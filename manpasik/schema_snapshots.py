"""SDL snapshots under schema/: each subgraph's SDL (as the router fetches it) and the composed supergraph.

`manpasik schema` writes them, refusing a change that breaks clients (found with graphql-core's
`find_breaking_changes` on the API schema) unless each break is listed in `schema/allowed-breaks.txt` or
`--allow-breaking` is given. `manpasik schema --check` fails when the committed files differ from the code,
and reports which contract operations (`../shared/contract/`, or `schema/operations/`) validate.
`manpasik schema diff [--against REF]` prints every change from the supergraph committed at REF to the code's
(`manpasik.schema_diff`) and fails on a breaking change that `schema/allowed-breaks.txt` does not list.
"""

from __future__ import annotations

import difflib
import importlib
import subprocess
import sys
from pathlib import Path

from graphql import DocumentNode, GraphQLSchema, parse, validate

from manpasik import registry, schema_diff
from router.compose import SubgraphSDL, compose
from router.supergraph.loader import load_supergraph

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "schema"
ALLOWED_BREAKS = SCHEMA_DIR / "allowed-breaks.txt"
OPERATIONS_DIR = SCHEMA_DIR / "operations"
SHARED_CONTRACT = ROOT.parent / "shared" / "contract"
SUPERGRAPH = "schema/supergraph.graphql"
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
    breaking, _, _ = schema_diff.classify(api_schema(old_supergraph), api_schema(new_supergraph))
    return [c.line for c in breaking]


def contract_operations() -> dict[str, str]:
    """Operation documents the clients rely on: schema/operations/*.graphql, else the shared contract."""
    folders = [OPERATIONS_DIR, SHARED_CONTRACT]
    for folder in folders:
        files = sorted(folder.glob("*.graphql")) if folder.is_dir() else []
        if files:
            return {f.name: f.read_text() for f in files}
    return {}


def app_operations() -> dict[str, str]:
    """Every document of the app's operations: schema/operations/ and the shared contract, each file once
    (the copies in schema/operations/ that match the contract byte for byte count once)."""
    out: dict[str, str] = {}
    for folder, label in ((OPERATIONS_DIR, "schema/operations"), (SHARED_CONTRACT, "contract")):
        for f in sorted(folder.glob("*.graphql")) if folder.is_dir() else []:
            text = f.read_text()
            if text not in out.values():
                out[f"{label}/{f.name}"] = text
    return out


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


def diff_against(ref: str = "HEAD") -> int:
    """`manpasik schema diff`: the supergraph committed at `ref` against the one composed from the code.
    Exit 1 on a breaking change that allowed-breaks.txt does not list; 0 when none (or nothing to compare)."""
    old = committed_supergraph(ref)
    if old is None:
        return 0 if _nothing_to_compare(ref) else 2
    new = current_snapshots()[SCHEMA_DIR / "supergraph.graphql"]
    return report(old, new, app_operations(), ALLOWED_BREAKS, f"{SUPERGRAPH} at {ref}")


def report(old: str, new: str, operations: dict[str, str], allowed_file: Path, old_name: str) -> int:
    diff = schema_diff.diff_schemas(api_schema(old), api_schema(new), operations)
    allowed = _listed(allowed_file)
    name = _shown(allowed_file)
    print(f"schema diff: {old_name} -> the code's supergraph ({len(operations)} operation files checked)")
    print("\n".join(schema_diff.render(diff, allowed, name)))
    refused = schema_diff.unlisted(diff, allowed)
    if refused:
        print(
            f"{len(refused)} breaking change(s) not listed in {name}. If intended, add each line below to it "
            "(exactly as printed; tell the app's developers); otherwise restore what the change took away:",
            file=sys.stderr,
        )
        for c in refused:
            print(f"  {c.line}", file=sys.stderr)
        return 1
    print(f"no breaking change outside {name}")
    return 0


def committed_supergraph(ref: str) -> str | None:
    """The snapshot at `ref` (`git show REF:schema/supergraph.graphql`); None when there is none."""
    if _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is None:
        if _git("rev-parse", "--is-shallow-repository") == "true":
            _git("fetch", "--quiet", "--deepen=1")  # a shallow CI clone: fetch the commit before it
        if _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is None:
            return None
    return _git("show", f"{ref}:{SUPERGRAPH}")


def _nothing_to_compare(ref: str) -> bool:
    """Explains why there is no old supergraph; True when that is normal (not a mistyped REF)."""
    if _git("rev-parse", "--git-dir") is None:
        print(f"schema diff: {ROOT} is not a git checkout; nothing to compare", file=sys.stderr)
        return True
    if _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is not None:
        print(f"schema diff: {SUPERGRAPH} did not exist at {ref}; nothing to compare")
        return True
    if ref.startswith("HEAD"):  # HEAD~1 of a first commit, or of a clone too shallow to deepen
        print(f"schema diff: this clone has no {ref} (a first commit or a shallow clone); nothing to compare")
        return True
    print(f"schema diff: unknown revision {ref!r}", file=sys.stderr)
    return False


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
