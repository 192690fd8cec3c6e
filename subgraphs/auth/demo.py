"""Demo accounts for the embedded dev stack only (`prod` never seeds them and refuses their log-in)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.auth.viewer import Role
from libs.db.sql import unit_of_work
from subgraphs.auth.repository import AuthRepository
from subgraphs.auth.service.accounts import AccountService
from subgraphs.auth.service.common import AuthDeps
from subgraphs.auth.settings import DEMO_PASSWORD

log = logging.getLogger("manpasik.auth.demo")

DEMO_ACCOUNTS: list[tuple[str, str, list[Role]]] = [
    ("admin@manpasik.dev", "데모 관리자", [Role.USER, Role.ADMIN]),
    ("support@manpasik.dev", "데모 상담원", [Role.USER, Role.SUPPORT]),
    ("doctor@manpasik.dev", "데모 의사", [Role.USER, Role.DOCTOR]),
]


async def seed_demo_accounts(sessions: async_sessionmaker[AsyncSession], deps: AuthDeps) -> None:
    if deps.settings.env != "dev":
        raise RuntimeError("demo accounts exist only in dev")
    async with unit_of_work(sessions) as session:
        repo = AuthRepository(session)
        accounts = AccountService(repo, deps)
        for email, name, roles in DEMO_ACCOUNTS:
            if await repo.user_by_email(email) is None:
                await accounts.create_user(
                    email=email,
                    display_name=name,
                    locale="ko-KR",
                    password_hash=await deps.passwords.hash(DEMO_PASSWORD),
                    roles=roles,
                    email_verified=True,
                )
    for email, _, roles in DEMO_ACCOUNTS:
        log.info("demo account %s (%s), password %s", email, "+".join(r.value for r in roles), DEMO_PASSWORD)
