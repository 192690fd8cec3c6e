"""The translation subgraph (port 8007): templates, glossary, translation memory, machine drafts.
Run: `manpasik subgraph translation`."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from libs.config import Settings, get_settings
from libs.graphql.app import create_subgraph_app
from subgraphs.translation.context import TranslationContext
from subgraphs.translation.resources import open_resources
from subgraphs.translation.schema import schema
from subgraphs.translation.settings import TranslationSettings
from subgraphs.translation.worker import TranslationWorkers


def create_app(settings: Settings | None = None, own: TranslationSettings | None = None) -> FastAPI:
    own = own or TranslationSettings()
    return create_subgraph_app("translation", schema, partial(open_resources, own=own),
                               settings=settings or get_settings(), context_class=TranslationContext,
                               workers=TranslationWorkers if own.workers else None)
