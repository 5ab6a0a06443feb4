"""queue indexes: jurisdiction, stage, due date

The officer queue filters on one jurisdiction column and a few stages and sorts by due date; an
index in that order answers a page of 50 without sorting the jurisdiction's whole history.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_prefecture_queue', ['prefecture_code', 'stage', 'due_on'], unique=False)
        batch_op.create_index('ix_case_county_queue', ['county_code', 'stage', 'due_on'], unique=False)
        batch_op.create_index('ix_case_stage_due', ['stage', 'due_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_stage_due')
        batch_op.drop_index('ix_case_county_queue')
        batch_op.drop_index('ix_case_prefecture_queue')
