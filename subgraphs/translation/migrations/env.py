from sqlmodel import SQLModel

import subgraphs.translation.models  # noqa: F401  (registers the tables)
from libs.db.migrations import run_env

run_env(SQLModel.metadata)
