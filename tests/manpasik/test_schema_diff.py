"""`manpasik schema diff`: changes between two supergraphs classified breaking / dangerous / safe, each break
naming the app operations it breaks, and the allowed-breaks list deciding whether the diff passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from manpasik.schema_diff import Change, diff_schemas
from manpasik.schema_snapshots import ROOT, api_schema, report
from router.compose import SubgraphSDL, compose

LINK = '@link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])'
OPERATIONS = {
    "mobile.graphql": """
        query Home { me { id nick role } }
        query Ids { me { id } }
        query Search($filter: Filter!) { search(filter: $filter) { id } }
        mutation Promote { promote(id: "1", role: ADMIN) { id } }
        subscription Live { changed { ...UserBits } }
        fragment UserBits on User { id email }
    """,
}


def _supergraph(
    user: str = "id: ID! email: String nick: String role: Role",
    roles: str = "USER ADMIN",
    filter_: str = "text: String limit: Int",
    promote: str = "id: ID!, role: Role!",
) -> str:
    users = (
        f"extend schema {LINK}\n"
        "type Query { me: User search(filter: Filter!): [User!]! }\n"
        f"type Mutation {{ promote({promote}): User }}\n"
        "type Subscription { changed: User }\n"
        f'type User @key(fields: "id") {{ {user} }}\n'
        f"enum Role {{ {roles} }}\n"
        f"input Filter {{ {filter_} }}"
    )
    scores = f'extend schema {LINK}\ntype User @key(fields: "id") {{ id: ID! score: Int }}'
    return compose(
        [SubgraphSDL("users", "http://u/graphql", users), SubgraphSDL("scores", "http://s/graphql", scores)]
    )


BASE = _supergraph()


def _diff(new: str) -> tuple[list[str], list[str], list[str], dict[str, list[str]]]:
    d = diff_schemas(api_schema(BASE), api_schema(new), OPERATIONS)
    broken = {c.line: [b.operation for b in bs] for c, bs in d.broken_by.items()}
    return [c.line for c in d.breaking], [c.line for c in d.dangerous], [c.line for c in d.safe], broken


def test_a_removed_field_an_operation_uses_is_breaking_and_names_that_operation() -> None:
    breaking, dangerous, safe, broken = _diff(_supergraph(user="id: ID! email: String role: Role"))
    assert breaking == ["FIELD_REMOVED: Field User.nick was removed."]
    assert broken == {"FIELD_REMOVED: Field User.nick was removed.": ["mobile.graphql: Home"]}
    assert dangerous == [] and safe == []
    new = api_schema(_supergraph(user="id: ID! email: String role: Role"))
    d = diff_schemas(api_schema(BASE), new, OPERATIONS)
    (home,) = d.broken_by[Change("FIELD_REMOVED", "Field User.nick was removed.")]
    assert "nick" in home.errors[0]  # the validation error against the new schema, shown with it


def test_a_field_removed_through_a_fragment_names_the_operation_that_spreads_it() -> None:
    _, _, _, broken = _diff(_supergraph(user="id: ID! nick: String role: Role"))
    assert broken == {"FIELD_REMOVED: Field User.email was removed.": ["mobile.graphql: Live"]}


def test_an_added_optional_argument_is_safe() -> None:
    breaking, dangerous, safe, _ = _diff(
        _supergraph(user="id: ID! email: String nick(style: String = null): String role: Role")
    )
    assert breaking == [] and dangerous == []
    assert safe == ["OPTIONAL_ARG_ADDED: An optional argument User.nick(style:) was added."]


def test_added_types_and_fields_and_optional_input_fields_are_safe() -> None:
    breaking, dangerous, safe, _ = _diff(
        _supergraph(
            user="id: ID! email: String nick: String role: Role age: Int",
            filter_="text: String limit: Int near: String",
        )
    )
    assert breaking == [] and dangerous == []
    assert set(safe) == {
        "FIELD_ADDED: Field User.age was added.",
        "OPTIONAL_INPUT_FIELD_ADDED: An optional field Filter.near was added.",
    }


def test_an_added_enum_value_is_dangerous() -> None:
    breaking, dangerous, safe, _ = _diff(_supergraph(roles="USER ADMIN DOCTOR"))
    assert breaking == [] and safe == []
    assert dangerous == ["VALUE_ADDED_TO_ENUM: Enum value Role.DOCTOR was added."]


def test_breaks_inside_inputs_arguments_and_enums_name_the_operations_that_send_them() -> None:
    # A required field in the variables' input type: every operation sending a Filter.
    _, _, _, broken = _diff(_supergraph(filter_="text: String limit: Int owner: ID!"))
    required = "REQUIRED_INPUT_FIELD_ADDED: A required field Filter.owner was added."
    assert broken == {required: ["mobile.graphql: Search"]}
    # An enum value a mutation passes as a literal (Home only reads a Role: not named).
    _, _, _, broken = _diff(_supergraph(roles="USER"))
    removed = "VALUE_REMOVED_FROM_ENUM: Enum value Role.ADMIN was removed."
    assert broken == {removed: ["mobile.graphql: Promote"]}
    # An argument removed from the field the mutation calls.
    _, _, _, broken = _diff(_supergraph(promote="id: ID!"))
    removed = "ARG_REMOVED: Argument Mutation.promote(role:) was removed."
    assert broken == {removed: ["mobile.graphql: Promote"]}
    # A field's type changed: the operation still validates, but receives something else.
    breaking, _, _, broken = _diff(_supergraph(user="id: ID! email: String nick: Int role: Role"))
    assert broken == {breaking[0]: ["mobile.graphql: Home"]} and breaking[0].startswith("FIELD_CHANGED_KIND")


def _report(new: str, allowed: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = report(BASE, new, OPERATIONS, allowed, "base")
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_listed_break_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    allowed = tmp_path / "allowed-breaks.txt"
    allowed.write_text("# intended\nFIELD_REMOVED: Field User.nick was removed.\n")
    code, out, err = _report(_supergraph(user="id: ID! email: String role: Role"), allowed, capsys)
    assert code == 0 and err == ""
    assert "FIELD_REMOVED: Field User.nick was removed.   [listed in" in out
    assert "breaks mobile.graphql: Home" in out


def test_an_unlisted_break_fails_with_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    allowed = tmp_path / "allowed-breaks.txt"
    allowed.write_text("FIELD_REMOVED: Field User.nick was removed.\n")  # listed, but the break is another
    code, out, err = _report(_supergraph(user="id: ID! nick: String role: Role"), allowed, capsys)
    assert code == 1
    assert "1 breaking change(s) not listed in" in err and str(allowed) in err
    assert "  FIELD_REMOVED: Field User.email was removed." in err
    assert "breaks mobile.graphql: Live" in out
    assert "listed in" in out and "but not in this diff" in out  # the stale line is pointed out


def test_no_change_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _report(BASE, tmp_path / "absent.txt", capsys)
    assert code == 0 and "breaking (0):" in out and "safe (0):" in out


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "manpasik", "schema", "diff", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_diffs_the_code_with_a_commit_and_explains_a_missing_one() -> None:
    done = _cli("--against", "HEAD")
    assert done.returncode == 0, done.stderr
    assert "schema/supergraph.graphql at HEAD -> the code's supergraph" in done.stdout
    # What CI meets in a first commit or a clone too shallow to deepen: nothing to compare, not a failure.
    done = _cli("--against", "HEAD~100000")
    assert done.returncode == 0 and "nothing to compare" in done.stdout
    done = _cli("--against", "no-such-branch")
    assert done.returncode == 2 and "unknown revision 'no-such-branch'" in done.stderr


def test_a_shallow_clone_is_deepened_to_find_the_previous_commit(tmp_path: Path) -> None:
    """CI's clone may hold only the last commit: `--against HEAD~1` fetches the one before it."""
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", f"file://{ROOT}", str(clone)], check=True, timeout=120
    )
    assert (clone / ".git" / "shallow").exists()
    done = subprocess.run(
        [sys.executable, "-m", "manpasik", "schema", "diff", "--against", "HEAD~1"],
        cwd=clone,  # the clone's own manpasik package, so ROOT is the clone
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr
    assert "schema/supergraph.graphql at HEAD~1 -> the code's supergraph" in done.stdout, done.stdout
