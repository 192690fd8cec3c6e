"""Fails on any import cycle among our modules (manpasik, subgraphs, libs, router, resilience), imports under
TYPE_CHECKING included. import-linter's `acyclic_siblings` contract finds cycles between sibling modules; this
also finds the ones it cannot see, such as a package's `__init__` and one of its own modules importing each
other. Run by `make lint`."""

from __future__ import annotations

import sys

import grimp

PACKAGES = ("manpasik", "subgraphs", "libs", "router", "resilience")


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.find_modules_directly_imported_by(step)))))
                elif step in on_stack:
                    low[module] = min(low[module], index[step])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def main() -> int:
    graph = grimp.build_graph(*PACKAGES)
    found = cycles(graph)
    for component in found:
        print("import cycle: " + " <-> ".join(component), file=sys.stderr)
        for a in component:
            for b in component:
                if a != b and graph.direct_import_exists(importer=a, imported=b):
                    lines = graph.get_import_details(importer=a, imported=b)
                    where = ", ".join(str(d["line_number"]) for d in lines)
                    print(f"    {a} -> {b} (line {where})", file=sys.stderr)
    if found:
        return 1
    print(f"no import cycles among {len(graph.modules)} modules of {', '.join(PACKAGES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
