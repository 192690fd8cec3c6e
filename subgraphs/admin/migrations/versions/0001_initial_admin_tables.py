"""initial admin tables

Revision ID: 5a1d0c3e9b21
Revises:
Create Date: 2026-12-01 22:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '5a1d0c3e9b21'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table('admin_actions',
    sa.Column('id', S(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', S(length=64), nullable=False),
    sa.Column('action', S(length=60), nullable=False),
    sa.Column('target_user_id', S(length=64), nullable=True),
    sa.Column('reason', S(length=1000), nullable=True),
    sa.Column('request_id', S(length=100), nullable=True),
    sa.Column('source', S(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_admin_actions_at', 'admin_actions', ['at', 'id'], unique=False)
    op.create_index(op.f('ix_admin_actions_target_user_id'), 'admin_actions', ['target_user_id'], unique=False)
    op.create_table('admin_analytics_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('new_users', sa.Integer(), nullable=False),
    sa.Column('measurements', sa.Integer(), nullable=False),
    sa.Column('coaching_insights', sa.Integer(), nullable=False),
    sa.Column('new_subscriptions', sa.Integer(), nullable=False),
    sa.Column('consultations', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('admin_analytics_revenue',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('currency', S(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'currency')
    )
    op.create_table('admin_analytics_active',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', S(length=64), nullable=False),
    sa.PrimaryKeyConstraint('day', 'user_id')
    )
    op.create_table('admin_user_reports',
    sa.Column('id', S(length=36), nullable=False),
    sa.Column('reporter_id', S(length=64), nullable=False),
    sa.Column('target_user_id', S(length=64), nullable=False),
    sa.Column('content_ref', S(length=200), nullable=True),
    sa.Column('reason', S(length=1000), nullable=False),
    sa.Column('status', S(length=12), nullable=False),
    sa.Column('reviewer_id', S(length=64), nullable=True),
    sa.Column('resolution', S(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_admin_user_reports_status_created', 'admin_user_reports',
                    ['status', 'created_at', 'id'], unique=False)
    op.create_index(op.f('ix_admin_user_reports_target_user_id'), 'admin_user_reports', ['target_user_id'],
                    unique=False)
    op.create_table('admin_processed_events',
    sa.Column('consumer_group', S(length=100), nullable=False),
    sa.Column('event_id', S(length=200), nullable=False),
    sa.Column('event_type', S(length=200), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer_group', 'event_id')
    )


def downgrade() -> None:
    op.drop_table('admin_processed_events')
    op.drop_table('admin_user_reports')
    op.drop_table('admin_analytics_active')
    op.drop_table('admin_analytics_revenue')
    op.drop_table('admin_analytics_days')
    op.drop_table('admin_actions')
