"""The translation subgraph's request context: viewer, resources, loaders, units of work over its
repository."""

from __future__ import annotations

import strawberry

from libs.graphql.context import StoreContext
from subgraphs.translation.repository import TranslationRepository
from subgraphs.translation.resources import TranslationResources


class TranslationContext(StoreContext[TranslationResources, TranslationRepository]):
    pass


Info = strawberry.Info[TranslationContext, None]
