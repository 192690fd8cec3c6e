"""encrypted health records: sealed prescriptions and messages, data keys

Existing rows keep their plaintext columns (now nullable) and stay readable; the worker's re-encryption pass
seals them and clears the plaintext. Issued prescriptions stay immutable in the database, except for how their
content is stored: re-encryption may replace `sealed`/`key_version` and clear the plaintext columns, nothing
else (the integrity check compares the plaintext behind the ciphertext with the chained digest).

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


_FIXED = ("id", "consultation_id", "patient_id", "doctor_id", "version", "replaces_id", "issued_at")
_MESSAGE = "prescriptions are immutable: issue a new version"


def _changed(distinct: str) -> str:
    """The update changes more than how the content is stored (`distinct`: the dialect's IS DISTINCT FROM)."""
    fixed = " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in _FIXED)
    return (f"{fixed} OR (NEW.medications IS NOT NULL AND CAST(NEW.medications AS TEXT) {distinct} "
            f"CAST(OLD.medications AS TEXT)) OR (NEW.notes IS NOT NULL AND NEW.notes {distinct} OLD.notes) "
            f"OR (NEW.sealed IS NULL AND OLD.sealed IS NOT NULL)")


def _replace_trigger(allow_resealing: bool) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute("DROP TRIGGER IF EXISTS video_prescriptions_no_update" + (" ON video_prescriptions" if postgres else ""))
    if postgres:
        condition = _changed("IS DISTINCT FROM") if allow_resealing else "TRUE"
        op.execute(f"""
            CREATE OR REPLACE FUNCTION video_prescriptions_immutable() RETURNS trigger AS $$
            BEGIN IF {condition} THEN RAISE EXCEPTION '{_MESSAGE}'; END IF; RETURN NEW; END;
            $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER video_prescriptions_no_update BEFORE UPDATE ON video_prescriptions
                      FOR EACH ROW EXECUTE FUNCTION video_prescriptions_immutable()""")
    else:
        when = f" WHEN {_changed('IS NOT')}" if allow_resealing else ""
        op.execute(f"""CREATE TRIGGER video_prescriptions_no_update BEFORE UPDATE ON video_prescriptions{when}
                      BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END""")


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
    _replace_trigger(allow_resealing=True)


def downgrade() -> None:
    with op.batch_alter_table('video_prescriptions') as batch:
        batch.drop_column('key_version')
        batch.drop_column('sealed')
    with op.batch_alter_table('video_messages') as batch:
        batch.drop_column('key_version')
        batch.drop_column('sealed')
    op.drop_table('video_encryption_keys')
    _replace_trigger(allow_resealing=False)  # last: SQLite's batch mode recreates the table without it
