"""a case's draft state in its own table (skipped materials, corrected items, values before correction)

These were kept as fake answers ("__skipped_materials", "__corrected", "__before_correction"); existing rows
move over as they are (the values before correction stay sealed with the key that sealed them) and the fake
answers go.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 02:30:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from store.models import json_type

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

COLUMNS = {"__skipped_materials": "skipped", "__corrected": "corrected", "__before_correction": "before_correction"}
_ANSWERS = sa.table('answer', sa.column('case_id', sa.Integer()), sa.column('question_id', sa.String()),
                    sa.column('value', json_type()), sa.column('updated_at', sa.DateTime()))


_STATE = sa.table('casedraftstate', sa.column('case_id', sa.Integer()), sa.column('skipped', json_type()),
                  sa.column('corrected', json_type()), sa.column('before_correction', json_type()),
                  sa.column('updated_at', sa.DateTime()))


def upgrade() -> None:
    op.create_table('casedraftstate',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('skipped', json_type(), nullable=True),
    sa.Column('corrected', json_type(), nullable=True),
    sa.Column('before_correction', json_type(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.PrimaryKeyConstraint('case_id')
    )
    connection = op.get_bind()
    found = connection.execute(sa.select(_ANSWERS.c.case_id, _ANSWERS.c.question_id, _ANSWERS.c.value)
                               .where(_ANSWERS.c.question_id.in_(list(COLUMNS)))).all()
    states: dict[int, dict[str, Any]] = {}
    for case_id, question_id, value in found:
        states.setdefault(case_id, {})[COLUMNS[question_id]] = value
    state = _STATE
    now = sa.func.current_timestamp()
    for case_id, values in states.items():
        connection.execute(sa.insert(state).values(case_id=case_id, updated_at=now, **values))
    connection.execute(sa.delete(_ANSWERS).where(_ANSWERS.c.question_id.in_(list(COLUMNS))))


def downgrade() -> None:
    connection = op.get_bind()
    state = _STATE
    rows = connection.execute(sa.select(state.c.case_id, state.c.skipped, state.c.corrected,
                                        state.c.before_correction)).all()
    for case_id, *values in rows:
        for question_id, value in zip(COLUMNS, values, strict=True):
            if value is not None:
                connection.execute(sa.insert(_ANSWERS).values(case_id=case_id, question_id=question_id,
                                                              value=value, updated_at=sa.func.current_timestamp()))
    op.drop_table('casedraftstate')
