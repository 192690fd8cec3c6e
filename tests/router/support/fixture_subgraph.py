"""A tiny data-driven Federation v2 subgraph for tests: an SDL plus JSON data, served over HTTP.

data.json of a subgraph:
  {"Query": {"field": value, "field({\"id\":\"1\"})": value},      root values (args as sorted JSON)
   "Mutation": {...},
   "entities": {"Type": [{...full object...}]},                     looked up by any @key
   "computed": {"Type.field": "python expression over the object's fields (and `args`)"},
   "errors": {"Type.field": {"message": "...", "code": "FORBIDDEN"}},
   "delay": 0.1,                                                     seconds before answering
   "fail": {"status": 503, "times": 2}}                              the first GraphQL requests fail
An object {"__typename": "T", "id": "1"} in the data refers to entity T with that key. A field with
@requires fails loudly when the representation does not carry the required fields, so tests see bad
plans. Every request is logged in `requests` for assertions (batching, deduplication, headers).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from graphql import (
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_ast_schema,
    get_named_type,
    graphql,
    is_abstract_type,
    parse,
)

from router.compose.subgraph import parse_subgraph
from router.planner.fieldset import parse_field_set

FED_DEFS = """
scalar _Any
scalar FieldSet
scalar link__Import
type _Service { sdl: String! }
"""


class FixtureSubgraph:
    def __init__(self, name: str, sdl: str, data: dict[str, Any]) -> None:
        self.name = name
        self.sdl = sdl
        self.data = data
        self.requests: list[dict[str, Any]] = []
        self.model = parse_subgraph(name, "", sdl)
        self.schema = self._build_schema()
        self.url = ""
        self._runner: web.AppRunner | None = None

    def _build_schema(self) -> GraphQLSchema:
        entities = [
            t.name for t in self.model.types.values() if t.kind == "object" and any(r for _, r in t.keys)
        ]
        extra = FED_DEFS
        if entities:
            extra += "union _Entity = " + " | ".join(entities) + "\n"
        has_query = "Query" in self.model.types
        q_fields = "_service: _Service!" + (
            "\n _entities(representations: [_Any!]!): [_Entity]!" if entities else ""
        )
        extra += ("extend type Query {" if has_query else "type Query {") + q_fields + "}\n"
        doc = parse(self.sdl + "\n" + extra)
        schema = build_ast_schema(doc, assume_valid_sdl=True)
        for t in schema.type_map.values():
            if is_abstract_type(t):
                t.resolve_type = lambda obj, *_: obj.get("__typename")  # type: ignore[union-attr]
        return schema

    # -- resolving ---------------------------------------------------------------------------------
    def entity(self, typename: str, rep: dict[str, Any]) -> dict[str, Any] | None:
        t = self.model.types.get(typename)
        for obj in self.data.get("entities", {}).get(typename, []):
            for key, _ in t.keys if t else []:
                names = parse_field_set(key)
                if all(n in rep and rep[n] == obj.get(n) for n in names):
                    extra = {k: v for k, v in rep.items() if k not in obj}
                    # An entity interface answers with the concrete type stored in the data.
                    return {**obj, **extra, "__typename": obj.get("__typename", typename)}
        return None

    def resolve(self, obj: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        parent = info.parent_type.name
        name = info.field_name
        err = self.data.get("errors", {}).get(f"{parent}.{name}")
        if err is not None:
            raise GraphQLError(err["message"], extensions={"code": err.get("code", "INTERNAL_SERVER_ERROR")})
        if parent in ("Query", "Mutation") and obj is None:
            root = self.data.get(parent, {})
            if args:
                k = f"{name}({json.dumps(args, sort_keys=True, separators=(',', ':'))})"
                if k in root:
                    return self.wrap(root[k], info)
            return self.wrap(root.get(name), info)
        if not isinstance(obj, dict):
            return None
        expr = self.data.get("computed", {}).get(f"{parent}.{name}")
        if expr is not None:
            return eval(expr, {}, {**obj, "args": args})
        if name in obj:
            return self.wrap(obj[name], info)
        tn = obj.get("__typename", parent)
        full = self.entity(tn, obj)
        return self.wrap(full.get(name) if full else None, info)

    def wrap(self, value: Any, info: GraphQLResolveInfo) -> Any:
        named = get_named_type(info.return_type)
        if isinstance(value, dict) and "__typename" not in value and not is_abstract_type(named):
            return {**value, "__typename": named.name}
        return value

    def resolve_entities(self, reps: list[dict[str, Any]]) -> list[Any]:
        return [self.entity(str(rep.get("__typename")), rep) for rep in reps]

    # -- HTTP --------------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"body": body, "headers": {k.lower(): v for k, v in request.headers.items()}})
        query = body.get("query", "")
        if self.data.get("delay"):
            await asyncio.sleep(float(self.data["delay"]))
        if "_service" in query and "_entities" not in query:
            return web.json_response({"data": {"_service": {"sdl": self.sdl}}})
        fail = self.data.get("fail")
        if fail and fail.get("times", 0) > 0:
            fail["times"] -= 1
            return web.Response(status=int(fail.get("status", 503)), text="unavailable")
        variables = body.get("variables") or {}
        root: dict[str, Any] = {}
        if "_entities" in query:
            reps = variables.get("representations", [])
            self.check_requires(query, reps)
            root["_entities"] = self.resolve_entities(reps)
        res = await graphql(
            self.schema,
            query,
            root_value=root or None,
            variable_values=variables,
            field_resolver=self._field_resolver(root),
        )
        out: dict[str, Any] = {}
        if res.errors:
            out["errors"] = [e.formatted for e in res.errors]
        out["data"] = res.data
        return web.json_response(out)

    def check_requires(self, query: str, reps: list[dict[str, Any]]) -> None:
        for rep in reps:
            t = self.model.types.get(str(rep.get("__typename")))
            for f in t.fields.values() if t else []:
                if f.requires and f" {f.name}" in query.replace("{", " ").replace("}", " "):
                    missing = [n for n in parse_field_set(f.requires) if n not in rep]
                    if missing:
                        raise web.HTTPBadRequest(
                            text=f"{t.name}.{f.name} needs {missing} in the representation"
                        )

    def _field_resolver(self, root: dict[str, Any]) -> Any:
        def resolver(obj: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
            if info.field_name == "_entities" and obj is root:
                return root["_entities"]
            if info.field_name == "_service":
                return {"sdl": self.sdl}
            if obj is root:
                obj = None
            return self.resolve(obj, info, **args)

        return resolver

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/graphql", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, reuse_address=True)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/graphql"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
