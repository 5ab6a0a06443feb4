"""pre-check jobs (智能预审): one row per uploaded file read by the worker

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-05 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0012'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('precheckjob',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_row_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claim', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('confirmed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['confirmed_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['material_row_id'], ['casematerial.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('material_row_id')
    )
    with op.batch_alter_table('precheckjob', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_precheckjob_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_precheckjob_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('precheckjob', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_precheckjob_status'))
        batch_op.drop_index(batch_op.f('ix_precheckjob_case_id'))
    op.drop_table('precheckjob')
