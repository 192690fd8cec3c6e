"""coaching: consented health details on profiles (sex at birth, birth date, pregnancy), reading codes

Revision ID: c19e7a3f2b10
Revises: a047cc6d86b5
Create Date: 2026-12-01 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


# revision identifiers, used by Alembic.
revision: str = 'c19e7a3f2b10'
down_revision: Union[str, Sequence[str], None] = 'a047cc6d86b5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: nullable columns only, so every stored row stays as it is."""
    op.add_column('coaching_profiles', sa.Column('sex_at_birth', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=True))
    op.add_column('coaching_profiles', sa.Column('birth_date', sa.Date(), nullable=True))
    op.add_column('coaching_profiles', sa.Column('pregnant', sa.Boolean(), nullable=True))
    op.add_column('coaching_profiles', sa.Column('health_details_consented_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('coaching_readings', sa.Column('loinc', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('coaching_readings', 'loinc')
    op.drop_column('coaching_profiles', 'health_details_consented_at')
    op.drop_column('coaching_profiles', 'pregnant')
    op.drop_column('coaching_profiles', 'birth_date')
    op.drop_column('coaching_profiles', 'sex_at_birth')
