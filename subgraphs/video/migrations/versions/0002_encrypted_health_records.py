"""encrypted health records: sealed prescriptions and messages, data keys

Existing rows keep their plaintext columns (now nullable) and stay readable; the worker's re-encryption pass
seals them and clears the plaintext.

Revision ID: 7c1f0e2b9a41
Revises: 1ee30e17226f
Create Date: 2026-12-01 22:35:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '7c1f0e2b9a41'
down_revision: Union[str, Sequence[str], None] = '1ee30e17226f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('video_encryption_keys',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kek_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('version')
    )
    with op.batch_alter_table('video_messages') as batch:
        batch.alter_column('body', existing_type=sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True)
        batch.add_column(sa.Column('sealed', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('key_version', sa.Integer(), nullable=True))
    with op.batch_alter_table('video_prescriptions') as batch:
        batch.alter_column('medications', existing_type=sa.JSON(), nullable=True)
        batch.add_column(sa.Column('sealed', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('key_version', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('video_prescriptions') as batch:
        batch.drop_column('key_version')
        batch.drop_column('sealed')
    with op.batch_alter_table('video_messages') as batch:
        batch.drop_column('key_version')
        batch.drop_column('sealed')
    op.drop_table('video_encryption_keys')
