"""Demo accounts for the embedded dev stack only (`prod` never seeds them and refuses their log-in).

`DEMO_ACCOUNTS` ((email, role)) and `DEMO_PASSWORD` are what the dev stack's banner shows.
"""

from __future__ import annotations

import logging

from libs.auth.viewer import Role
from libs.db.uow import UnitsOfWork
from subgraphs.auth.repository import AuthRepository
from subgraphs.auth.service.accounts import AccountService
from subgraphs.auth.service.common import AuthDeps
from subgraphs.auth.settings import DEMO_PASSWORD

log = logging.getLogger("manpasik.auth.demo")

# (email, display name, role): each account also holds USER.
_SEEDS: list[tuple[str, str, Role]] = [
    ("admin@manpasik.dev", "데모 관리자", Role.ADMIN),
    ("support@manpasik.dev", "데모 상담원", Role.SUPPORT),
    ("doctor@manpasik.dev", "데모 의사", Role.DOCTOR),
]
DEMO_ACCOUNTS: list[tuple[str, str]] = [(email, role.value) for email, _, role in _SEEDS]

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "seed_demo_accounts"]


async def seed_demo_accounts(db: UnitsOfWork[AuthRepository], deps: AuthDeps) -> None:
    if deps.settings.env != "dev":
        raise RuntimeError("demo accounts exist only in dev")
    async with db.write() as repo:
        accounts = AccountService(repo, deps)
        for email, name, role in _SEEDS:
            if await repo.user_by_email(email) is None:
                await accounts.create_user(
                    email=email,
                    display_name=name,
                    locale="ko-KR",
                    password_hash=await deps.passwords.hash(DEMO_PASSWORD),
                    roles=[Role.USER, role],
                    email_verified=True,
                )
    for email, role_name in DEMO_ACCOUNTS:
        log.info("demo account %s (USER+%s), password %s", email, role_name, DEMO_PASSWORD)
