"""The supergraph comparison itself: equal for what may differ, different for what matters."""

from __future__ import annotations

from graphql import find_breaking_changes

from router.compose import SubgraphSDL, compose
from tests.router.composition.normalize import api_schema, join_facts
from tests.router.federation_fixtures import sdl_files


def commerce() -> str:
    files = sdl_files("commerce")
    return compose([SubgraphSDL(n, f"http://{n}/graphql", p.read_text()) for n, p in files.items()])


def test_graph_enum_names_and_order_do_not_matter() -> None:
    sdl = commerce()
    renamed = sdl.replace("USERS", "G_ONE").replace("REVIEWS", "G_TWO")
    assert renamed != sdl
    assert join_facts(renamed) == join_facts(sdl)
    lines = sdl.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("type Product "))
    body_start = lines.index("{", start)
    end = lines.index("}", body_start)
    swapped = lines[: body_start + 1] + lines[body_start + 1 : end][::-1] + lines[end:]
    assert join_facts("\n".join(swapped)) == join_facts(sdl)


def test_a_missing_join_field_or_key_is_a_difference() -> None:
    sdl = commerce()
    line = next(ln for ln in sdl.splitlines() if "@join__field(graph: INVENTORY, requires:" in ln)
    without = sdl.replace(line, line.split(" @join__field")[0] + " @join__field(graph: INVENTORY)")
    assert join_facts(without) != join_facts(sdl)
    other_key = sdl.replace('key: "code region { country zone }"', 'key: "code"', 1)
    assert other_key != sdl
    assert join_facts(other_key) != join_facts(sdl)


def test_field_sets_compare_by_meaning() -> None:
    sdl = commerce()
    spaced = sdl.replace('key: "code region { country zone }"', 'key: "code  region {country   zone}"')
    assert spaced != sdl
    assert join_facts(spaced) == join_facts(sdl)


def test_api_schema_hides_inaccessible_and_internals() -> None:
    sdl = commerce()
    api = api_schema(sdl)
    user = api.get_type("User")
    assert user is not None and "internalScore" not in user.fields  # type: ignore[attr-defined]
    assert not [n for n in api.type_map if n.startswith(("join__", "link__"))]
    more_hidden = sdl.replace("  email: String! @join__", "  email: String! @inaccessible @join__", 1)
    assert more_hidden != sdl
    assert find_breaking_changes(api, api_schema(more_hidden))


def test_applied_directives_count() -> None:
    sdl = commerce()
    assert '@tag(name: "public")' in sdl
    assert join_facts(sdl.replace('@tag(name: "public")', "")) != join_facts(sdl)
    secured = sdl.replace("  me: User", "  me: User @authenticated", 1)
    assert secured != sdl
    assert join_facts(secured) - join_facts(sdl) == {("directive", "Query.me", "authenticated", "[]")}
