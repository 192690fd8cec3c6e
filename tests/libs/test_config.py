import pytest
from pydantic import ValidationError

from libs.config import DEFAULT_JWT_SECRET, Settings


def test_prod_refuses_default_secret_and_missing_stores() -> None:
    with pytest.raises(ValidationError) as err:
        Settings(MANPASIK_ENV="prod")
    message = str(err.value)
    assert "JWT_SECRET" in message
    assert "DATABASE_URL" in message
    assert "MONGODB_URL" in message


def test_prod_refuses_short_secret_but_accepts_a_real_configuration() -> None:
    stores = {"DATABASE_URL": "postgresql+asyncpg://db/x", "MONGODB_URL": "mongodb://m"}
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(MANPASIK_ENV="prod", JWT_SECRET="short", **stores)
    with pytest.raises(ValidationError, match="PostgreSQL"):
        Settings(
            MANPASIK_ENV="prod", JWT_SECRET="x" * 40, DATABASE_URL="sqlite+aiosqlite:///tmp", MONGODB_URL="m"
        )
    ok = Settings(MANPASIK_ENV="prod", JWT_SECRET="x" * 40, **stores)
    assert ok.jwt_secret != DEFAULT_JWT_SECRET


def test_each_subgraph_gets_its_own_database(tmp_path) -> None:
    pg = Settings(DATABASE_URL="postgresql+asyncpg://u@h:5432/", DB_SUFFIX="_t1")
    assert pg.sql_url("manpasik_auth") == "postgresql+asyncpg://u@h:5432/manpasik_auth_t1"
    assert pg.sql_url("mps_payment") == "postgresql+asyncpg://u@h:5432/mps_payment_t1"
    lite = Settings(DATA_DIR=str(tmp_path))
    assert lite.sql_url("manpasik_auth") == f"sqlite+aiosqlite:///{tmp_path}/manpasik_auth.db"
