"""Readable query plans (`router explain`)."""

from __future__ import annotations

from router.planner.plan import QueryPlan


def explain_plan(plan: QueryPlan) -> str:
    lines = [f"QueryPlan ({plan.operation_type}, {len(plan.nodes)} fetches) {{"]
    if plan.introspection:
        lines.append("  Introspection: " + ", ".join(f.key for f in plan.introspection))
    for node in plan.nodes:
        after = ", ".join(f"#{d.id}" for d in node.depends) or "-"
        where = "." + ".".join(node.path) if node.path else "<root>"
        types = ",".join(sorted(node.representation))
        head = f"  Fetch #{node.id} service={node.service} kind={node.kind}"
        if node.kind == "entity":
            head += f" at={where} types={types}"
        lines.append(f"{head} after={after}")
        lines.append(f"    {node.query}")
    lines.append("}")
    return "\n".join(lines)
