"""Breaking schema changes are found on the client-facing schema, and contract operations are validated."""

from __future__ import annotations

from manpasik.schema_snapshots import api_schema, breaking_changes
from router.compose import SubgraphSDL, compose

LINK = '@link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@inaccessible"])'


def _supergraph(users_fields: str) -> str:
    users = (
        f'extend schema {LINK}\ntype Query {{ me: User }}\ntype User @key(fields: "id") {{ {users_fields} }}'
    )
    scores = f'extend schema {LINK}\ntype User @key(fields: "id") {{ id: ID! score: Int }}'
    return compose(
        [SubgraphSDL("users", "http://u/graphql", users), SubgraphSDL("scores", "http://s/graphql", scores)]
    )


def test_removing_or_retyping_a_field_is_breaking_adding_one_is_not() -> None:
    base = _supergraph("id: ID! email: String nick: String")
    assert breaking_changes(base, _supergraph("id: ID! email: String nick: String age: Int")) == []
    removed = breaking_changes(base, _supergraph("id: ID! email: String"))
    assert removed == ["FIELD_REMOVED: Field User.nick was removed."]
    retyped = breaking_changes(base, _supergraph("id: ID! email: Int nick: String"))
    assert len(retyped) == 1 and retyped[0].startswith("FIELD_CHANGED_KIND")


def test_api_schema_hides_federation_internals_and_inaccessible_fields() -> None:
    schema = api_schema(_supergraph("id: ID! email: String secret: String @inaccessible"))
    user = schema.get_type("User")
    assert set(user.fields) == {"id", "email", "score"}  # type: ignore[union-attr]
    assert not [name for name in schema.type_map if name.startswith(("join__", "link__"))]
