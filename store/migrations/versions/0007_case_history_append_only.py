"""case history append-only: triggers refuse UPDATE, DELETE and TRUNCATE on caseevent

A case's events are its history: who did what and when, from which the time limits, the ledger and
the progress report are derived. Nothing in the app changes or removes one (store/uow.py only inserts
them), so the database refuses it, as it does for the audit log (0006, same pattern):

- PostgreSQL: a row-level BEFORE UPDATE OR DELETE trigger and a statement-level BEFORE TRUNCATE
  trigger; the app's own login has no UPDATE or DELETE on the table either (store.db.grant_sql).
- SQLite: BEFORE UPDATE / BEFORE DELETE triggers that RAISE(ABORT).

A later migration that rebuilds caseevent on SQLite (Alembic batch mode) drops these triggers with it
and must create them again.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

MESSAGE = "the case history (caseevent) is append-only"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION caseevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP
        USING HINT = 'case events are only ever added (store/uow.py apply); see docs/database-roles.md';
END
$$
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER caseevent_no_update_delete BEFORE UPDATE OR DELETE ON caseevent "
                   "FOR EACH ROW EXECUTE FUNCTION caseevent_append_only()")
        op.execute("CREATE TRIGGER caseevent_no_truncate BEFORE TRUNCATE ON caseevent "
                   "FOR EACH STATEMENT EXECUTE FUNCTION caseevent_append_only()")
    elif dialect == "sqlite":
        for what in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER caseevent_no_{what.lower()} BEFORE {what} ON caseevent "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {what} refused'); END")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS caseevent_no_truncate ON caseevent")
        op.execute("DROP TRIGGER IF EXISTS caseevent_no_update_delete ON caseevent")
        op.execute("DROP FUNCTION IF EXISTS caseevent_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS caseevent_no_delete")
        op.execute("DROP TRIGGER IF EXISTS caseevent_no_update")
