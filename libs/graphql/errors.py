"""Maps exceptions to `extensions.code` and masks everything unexpected."""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from libs.errors import AppError

log = logging.getLogger("manpasik.graphql")


def _code_for_unoriginated(error: GraphQLError) -> str:
    # Errors without an original exception come from graphql-core itself: parsing, validation, coercion.
    msg = error.message
    if msg.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if msg.startswith("Variable '$") or "got invalid value" in msg:
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


class AppErrors(MaskErrors):
    """Keeps AppError messages with their code; masks any other exception as INTERNAL_SERVER_ERROR."""

    def __init__(self) -> None:
        super().__init__(error_message="Internal server error")

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        out: list[GraphQLError] = []
        for error in errors:
            original = error.original_error
            if isinstance(original, AppError):
                out.append(self._with_extensions(error, original.message, original.as_extensions()))
            elif isinstance(original, GraphQLError) and original.extensions:
                out.append(error)
            elif original is None or isinstance(original, GraphQLError):
                code = (error.extensions or {}).get("code") or _code_for_unoriginated(error)
                out.append(
                    self._with_extensions(error, error.message, {**(error.extensions or {}), "code": code})
                )
            else:
                log.error("unexpected error at %s", error.path, exc_info=original)
                out.append(
                    self._with_extensions(error, self.error_message, {"code": "INTERNAL_SERVER_ERROR"})
                )
        return out

    @staticmethod
    def _with_extensions(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )
