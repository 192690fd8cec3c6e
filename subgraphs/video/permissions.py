"""Who may read a consultation's data: its two participants (no staff role reads someone's consultation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from libs.auth.permissions import require_viewer
from libs.auth.viewer import Viewer
from libs.errors import Forbidden

MESSAGE = "only the consultation's patient and doctor may access it"


class Participants(BasePermission):
    """The viewer is one of `people(source)` (the patient and the doctor of the object's consultation)."""

    def __init__(self, people: Callable[[Any], tuple[str, str]]) -> None:
        self.people = people

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        viewer = getattr(info.context, "viewer", None)
        user_id = require_viewer(viewer if isinstance(viewer, Viewer) else Viewer()).user_id
        return user_id in self.people(source)

    def on_unauthorized(self) -> None:
        raise Forbidden(MESSAGE)


def participants(people: Callable[[Any], tuple[str, str]]) -> list[FieldExtension]:
    return [PermissionExtension(permissions=[Participants(people)], use_directives=False)]
