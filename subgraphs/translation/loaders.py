"""Per-request DataLoaders: one store query per batch, whatever the number of terms asked for."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from subgraphs.translation.context import TranslationContext
from subgraphs.translation.models import GlossaryTranslationRow
from subgraphs.translation.service import TranslationService


def term_translations(ctx: TranslationContext) -> DataLoader[str, list[GlossaryTranslationRow]]:
    async def load(term_ids: Sequence[str]) -> list[list[GlossaryTranslationRow]]:
        async with ctx.read() as repo:
            found = await TranslationService(repo, ctx.resources.deps).translations_of(term_ids)
        return [found.get(t, []) for t in term_ids]

    return ctx.loader("term_translations", lambda: DataLoader(load))
