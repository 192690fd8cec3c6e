"""Runs a query plan: each fetch starts as soon as the fetches it depends on are done."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from router.executor.fetch_errors import HTTP_ERROR, SubgraphFetchError
from router.executor.merge import merge_into, objects_at, objects_with_paths, rep_builder
from router.executor.transport import Transport
from router.planner.plan import FetchNode, QueryPlan
from router.supergraph.model import Supergraph

MAX_FETCH_ERRORS = 100  # per failed fetch: enough to locate the damage, bounded for huge lists


class _Representations:
    """Per request: the representations built for each `rep_key`, valid while no answer was merged since
    (`version` counts merges). Two fetches at one path asking the same keys (inventory and products for
    the same reviews' products) then walk the tree and build them once."""

    __slots__ = ("built", "version")

    def __init__(self) -> None:
        self.version = 0
        self.built: dict[str, tuple[int, list[dict[str, Any]], list[list[dict[str, Any]]]]] = {}


class PlanExecutor:
    def __init__(self, supergraph: Supergraph, transport: Transport) -> None:
        self.transport = transport
        self.urls = {g.enum: g.url for g in supergraph.graphs.values()}
        self._reps: dict[int, _Representations] = {}  # id(data) -> what its request built

    async def run(
        self,
        plan: QueryPlan,
        variables: dict[str, Any],
        headers: dict[str, str],
        data: dict[str, Any],
        errors: list[dict[str, Any]],
        skip_root: bool = False,
    ) -> None:
        """Runs every fetch; with `skip_root` the root's data is already in `data` (a subscription event)."""
        nodes = [n for n in plan.nodes if not (skip_root and n.kind == "root")]
        if not nodes:
            return
        retry = plan.operation_type != "mutation"  # a mutation's fetches are never retried
        if len(nodes) == 1:  # its only possible dependency is the (skipped) root
            await self.fetch(nodes[0], variables, headers, data, errors, retry)
            return
        if id(data) in self._reps:  # the same tree run twice at once: nothing shared
            await self._run(plan, nodes, variables, headers, data, errors, skip_root)
            return
        self._reps[id(data)] = _Representations()
        try:
            await self._run(plan, nodes, variables, headers, data, errors, skip_root)
        finally:
            del self._reps[id(data)]

    async def _run(
        self,
        plan: QueryPlan,
        nodes: list[FetchNode],
        variables: dict[str, Any],
        headers: dict[str, str],
        data: dict[str, Any],
        errors: list[dict[str, Any]],
        skip_root: bool,
    ) -> None:
        retry = plan.operation_type != "mutation"
        tasks: dict[int, asyncio.Future[None]] = {}
        if skip_root:
            for n in plan.nodes:
                if n.kind == "root":
                    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                    done.set_result(None)
                    tasks[n.id] = done

        async def run_node(node: FetchNode) -> None:
            if node.depends:
                await asyncio.gather(*(tasks[d.id] for d in node.depends))
            await self.fetch(node, variables, headers, data, errors, retry)

        for node in nodes:
            tasks[node.id] = asyncio.create_task(run_node(node))
        await asyncio.gather(*tasks.values())

    async def fetch(
        self,
        node: FetchNode,
        variables: dict[str, Any],
        headers: dict[str, str],
        data: dict[str, Any],
        errors: list[dict[str, Any]],
        retry: bool = False,
    ) -> None:
        """`retry`: the fetch may be retried (it belongs to a query or subscription)."""
        vars_out = {v: variables[v] for v in node.variables if v in variables}
        groups: list[list[dict[str, Any]]] = []
        shared = self._reps.get(id(data))
        if node.kind == "entity":
            built = shared.built.get(node.rep_key) if shared is not None else None
            if built is not None and shared is not None and built[0] == shared.version:
                _, reps, groups = built
            else:
                reps, groups = self.representations(node, data)
                if shared is not None:
                    shared.built[node.rep_key] = (shared.version, reps, groups)
            if not reps:
                return
            vars_out["representations"] = reps
        body = orjson.dumps({"query": node.query, "variables": vars_out})
        try:
            query = node.operation_type == "query"
            raw = await self.transport.post(
                node.service, self.urls[node.graph], body, headers, query, retry and query
            )
            resp = orjson.loads(raw)
            if not isinstance(resp, dict):
                raise SubgraphFetchError(node.service, "response is not a JSON object", "BAD_RESPONSE")
        except SubgraphFetchError as exc:
            errors.extend(self.fetch_errors(node, exc, data, groups))
            return
        except orjson.JSONDecodeError:
            bad = SubgraphFetchError(node.service, "invalid JSON in response", "BAD_RESPONSE")
            errors.extend(self.fetch_errors(node, bad, data, groups))
            return
        rdata = resp.get("data")
        if shared is not None:
            shared.version += 1  # the tree changes: representations built before may be stale
        if node.kind == "root":
            if isinstance(rdata, dict):
                merge_into(data, rdata)
            if resp.get("errors"):
                for e in resp["errors"]:
                    errors.append(self.map_error(e, node, e.get("path") if isinstance(e, dict) else None))
            return
        entities = rdata.get("_entities") if isinstance(rdata, dict) else None
        if isinstance(entities, list):
            for i, result in enumerate(entities):
                if i >= len(groups):
                    break
                if isinstance(result, dict):
                    for obj in groups[i]:
                        merge_into(obj, result)
        if resp.get("errors"):
            self.map_entity_errors(resp["errors"], node, data, groups, errors)

    @staticmethod
    def representations(
        node: FetchNode, data: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
        """The distinct representations of the objects at the node's path, and per representation the
        objects it stands for."""
        reps: list[dict[str, Any]] = []
        groups: list[list[dict[str, Any]]] = []
        index: dict[bytes, int] = {}
        builders = node.rep_builders
        dumps = orjson.dumps
        for obj in objects_at(data, node.path):
            tn = obj.get("__typename")
            if type(tn) is not str:
                continue
            build = builders.get(tn)
            if build is None:
                build = builders[tn] = rep_builder(node.representation.get(tn), node.rep_typename.get(tn, tn))
            rep = build(obj)
            if rep is None:
                continue
            k = dumps(rep)
            i = index.get(k)
            if i is None:
                index[k] = len(reps)
                reps.append(rep)
                groups.append([obj])
            else:
                groups[i].append(obj)
        return reps, groups

    def fetch_errors(
        self,
        node: FetchNode,
        exc: SubgraphFetchError,
        data: dict[str, Any],
        groups: list[list[dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        """One error per field the failed fetch should have filled, at that field's path: SUBGRAPH_UNAVAILABLE
        (with `reason` and, for an open breaker, `retryAfter` seconds) or SUBREQUEST_HTTP_ERROR."""
        ext: dict[str, Any] = {"code": exc.code, "serviceName": node.service}
        if exc.code != HTTP_ERROR:
            ext["reason"] = exc.reason
        if exc.retry_after_s is not None:
            ext["retryAfter"] = round(exc.retry_after_s, 1)
        error = {"message": f'Failed to fetch from subgraph "{node.service}": {exc}', "extensions": ext}
        sel = node.selection
        keys = [k for k in sel.fields if k != "__typename"]
        for frag in sel.fragments.values():
            keys += [k for k in frag.fields if k != "__typename" and k not in keys]
        if node.kind == "root":
            bases: list[list[Any]] = [[]]
        else:
            wanted = {id(o) for g in groups for o in g}
            bases = [p for p, o in objects_with_paths(data, node.path) if id(o) in wanted][:MAX_FETCH_ERRORS]
        out = [{**error, "path": [*b, k]} for b in bases for k in keys][:MAX_FETCH_ERRORS]
        return out or [error]

    def map_error(self, e: Any, node: FetchNode, path: Any) -> dict[str, Any]:
        if not isinstance(e, dict):
            return {"message": str(e), "extensions": {"serviceName": node.service}}
        out: dict[str, Any] = {"message": e.get("message", "Subgraph error")}
        if path:
            out["path"] = path
        ext = dict(e["extensions"]) if isinstance(e.get("extensions"), dict) else {}
        ext.pop("stacktrace", None)
        ext.pop("exception", None)
        # Like Hive Gateway: an error without a code gets one, so clients can always switch on it.
        ext.setdefault("code", "DOWNSTREAM_SERVICE_ERROR")
        ext["serviceName"] = node.service
        out["extensions"] = ext
        return out

    def map_entity_errors(
        self,
        raw_errors: Any,
        node: FetchNode,
        data: dict[str, Any],
        groups: list[list[dict[str, Any]]],
        errors: list[dict[str, Any]],
    ) -> None:
        paths_by_id: dict[int, list[Any]] | None = None
        for e in raw_errors:
            p = e.get("path") if isinstance(e, dict) else None
            if not (isinstance(p, list) and len(p) >= 2 and p[0] == "_entities" and isinstance(p[1], int)):
                errors.append(self.map_error(e, node, None))
                continue
            if paths_by_id is None:
                paths_by_id = {id(o): path for path, o in objects_with_paths(data, node.path)}
            idx = p[1]
            targets = groups[idx] if idx < len(groups) else []
            for obj in targets:
                base = paths_by_id.get(id(obj))
                errors.append(self.map_error(e, node, [*base, *p[2:]] if base is not None else None))
