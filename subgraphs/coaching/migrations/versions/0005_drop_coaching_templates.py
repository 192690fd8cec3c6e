"""drop coaching templates: texts come from libs.i18n's catalogue, kept current by the translation events

Revision ID: 5e1f0c2a9d31
Revises: c19e7a3f2b10
Create Date: 2026-12-07 16:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


# revision identifiers, used by Alembic.
revision: str = '5e1f0c2a9d31'
down_revision: Union[str, Sequence[str], None] = 'c19e7a3f2b10'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_table('coaching_templates')


def downgrade() -> None:
    """Downgrade schema."""
    op.create_table('coaching_templates',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', 'language')
    )
