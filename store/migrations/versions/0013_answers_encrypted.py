"""answers encrypted at rest (ID numbers, store.keys) and an answer's earlier values kept (answerhistory)

Existing rows are migrated: every string of an answer that holds a resident ID number is encrypted with
the current data key (KEYS_DIR/data.keys or BAOAN_DATA_KEY: set it before migrating a production
database). The downgrade decrypts them again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from store.keys import keyring, reseal, unseal
from store.models import json_type

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

_ANSWERS = sa.table('answer', sa.column('id', sa.Integer()), sa.column('value', json_type()))


def upgrade() -> None:
    op.create_table('answerhistory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('old_value', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('changed_by', sa.Integer(), nullable=True),
    sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['changed_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('answerhistory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answerhistory_case_id'), ['case_id'], unique=False)
    connection = op.get_bind()
    if connection.execute(sa.select(sa.func.count()).select_from(_ANSWERS)).scalar_one() == 0:
        return  # a new database: no key needed yet
    ring = keyring()
    for row_id, value in connection.execute(sa.select(_ANSWERS.c.id, _ANSWERS.c.value)).all():
        sealed = reseal(value, ring)
        if sealed is not None:
            connection.execute(sa.update(_ANSWERS).where(_ANSWERS.c.id == row_id).values(value=sealed))


def downgrade() -> None:
    connection = op.get_bind()
    if connection.execute(sa.select(sa.func.count()).select_from(_ANSWERS)).scalar_one():
        ring = keyring()
        for row_id, value in connection.execute(sa.select(_ANSWERS.c.id, _ANSWERS.c.value)).all():
            plain = unseal(value, ring)
            if plain != value:
                connection.execute(sa.update(_ANSWERS).where(_ANSWERS.c.id == row_id).values(value=plain))
    with op.batch_alter_table('answerhistory', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answerhistory_case_id'))
    op.drop_table('answerhistory')
