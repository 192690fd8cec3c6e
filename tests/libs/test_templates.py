"""Template overrides on the real PostgreSQL and SQLite, the events that carry them, lenient formatting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.config import Settings
from libs.db.sql import create_engine, drop_database, ensure_database, session_factory
from libs.db.uow import Transactions
from libs.events import CloudEvent, DropEvent
from libs.events.streams import TEMPLATE_UPDATED
from libs.templates import (
    TemplateOverrideBase,
    TemplateOverrides,
    TemplateUpdate,
    format_text,
    template_update,
)


class LibTemplateRow(TemplateOverrideBase, table=True):
    __tablename__ = "libtest_templates"


class Repo(TemplateOverrides):
    template_model = LibTemplateRow

    def __init__(self, session: AsyncSession) -> None:
        self.session = session


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, settings: Settings,
             tmp_path: Path) -> AsyncIterator[Transactions[Repo]]:
    url = (f"sqlite+aiosqlite:///{tmp_path}/t.db" if request.param == "sqlite"
           else settings.sql_url("mps_libtest_templates"))
    await ensure_database(url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        table = LibTemplateRow.__table__  # type: ignore[attr-defined]
        await conn.run_sync(lambda c: LibTemplateRow.metadata.create_all(c, tables=[table]))
    sessions: async_sessionmaker[AsyncSession] = session_factory(engine)
    try:
        yield Transactions(sessions, Repo)
    finally:
        await engine.dispose()
        await drop_database(url)


def _event(**data: object) -> CloudEvent:
    return CloudEvent.new(TEMPLATE_UPDATED, "/subgraphs/translation", None, dict(data))


async def test_newest_version_wins_whatever_the_order(db: Transactions[Repo]) -> None:
    async with db.write() as repo:
        assert await repo.save_template(TemplateUpdate("coaching.x.title", "en", "v2 {value}", 2))
    async with db.write() as repo:
        assert not await repo.save_template(TemplateUpdate("coaching.x.title", "en", "v1", 1))  # late, older
        assert not await repo.save_template(TemplateUpdate("coaching.x.title", "en", "v2 again", 2))
    async with db.write() as repo:
        assert await repo.save_template(TemplateUpdate("coaching.x.title", "en", "v3", 3))
        assert await repo.save_template(TemplateUpdate("coaching.x.title", "ko", "제목", 1))
    async with db.read() as repo:
        found = await repo.template_overrides(["coaching.x.title", "coaching.y.title"])
        assert found == {("coaching.x.title", "en"): "v3", ("coaching.x.title", "ko"): "제목"}
        assert await repo.template_overrides([]) == {}


def test_template_update_reads_only_its_own_prefix() -> None:
    update = template_update(_event(key="coaching.glucose.high.title", locale="en-US", body="Hi", version=4),
                             prefix="coaching.")
    assert update == TemplateUpdate("coaching.glucose.high.title", "en", "Hi", 4)
    assert template_update(_event(key="notification.WELCOME.title", locale="en", body="x", version=1),
                           prefix="coaching.") is None
    assert template_update(_event(locale="en"), prefix="coaching.") is None


@pytest.mark.parametrize("data", [
    {"locale": "en", "body": "x"}, {"locale": "", "body": "x", "version": 1},
    {"locale": "en", "body": "", "version": 1}, {"locale": "en", "body": "x", "version": "2"},
    {"locale": None, "body": "x", "version": 1}])
def test_a_malformed_override_is_dropped_not_retried(data: dict[str, object]) -> None:
    with pytest.raises(DropEvent):
        template_update(_event(key="coaching.a.title", **data), prefix="coaching.")


def test_format_text_is_lenient() -> None:
    assert format_text("{name} {missing}!", "fallback", {"name": "Minji"}) == "Minji !"
    assert format_text("{value:.1f} mg/dL", "x", {"value": "7"}) == "x"  # bad spec on a string: fallback
    assert format_text("unbalanced {", "built-in {name}", {"name": "A"}) == "built-in A"
    assert format_text("{0}", "built-in", {}) == "built-in"
    assert format_text("{a.b}", "built-in", {"a": "x"}) == "built-in"
