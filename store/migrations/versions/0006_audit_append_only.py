"""audit log append-only: triggers refuse UPDATE, DELETE and TRUNCATE on auditentry

The audit log (store/audit.py) is only ever appended to. These triggers make the database refuse
anything else, whoever asks:

- PostgreSQL: one trigger function, a row-level BEFORE UPDATE OR DELETE trigger and a statement-level
  BEFORE TRUNCATE trigger. The table's owner can still drop or disable them, so the real protection
  is that the app does not log in as the owner: docs/database-roles.md (MIGRATION_DATABASE_URL, and the
  grants `store.db.grant_app_role` applies after every migration).
- SQLite: BEFORE UPDATE / BEFORE DELETE triggers that RAISE(ABORT). There are no roles on SQLite;
  this guards against a bug in the app, not against someone with the file. `DELETE FROM auditentry`
  without a WHERE is covered too (a trigger turns off SQLite's truncate optimisation).

A later migration that rebuilds auditentry on SQLite (Alembic batch mode copies the table and drops
the old one) drops these triggers with it and must create them again.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

MESSAGE = "the audit log (auditentry) is append-only"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION auditentry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP
        USING HINT = 'audit entries are only ever added (store/audit.py append); see docs/database-roles.md';
END
$$
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER auditentry_no_update_delete BEFORE UPDATE OR DELETE ON auditentry "
                   "FOR EACH ROW EXECUTE FUNCTION auditentry_append_only()")
        op.execute("CREATE TRIGGER auditentry_no_truncate BEFORE TRUNCATE ON auditentry "
                   "FOR EACH STATEMENT EXECUTE FUNCTION auditentry_append_only()")
    elif dialect == "sqlite":
        for what in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER auditentry_no_{what.lower()} BEFORE {what} ON auditentry "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {what} refused'); END")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS auditentry_no_truncate ON auditentry")
        op.execute("DROP TRIGGER IF EXISTS auditentry_no_update_delete ON auditentry")
        op.execute("DROP FUNCTION IF EXISTS auditentry_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS auditentry_no_delete")
        op.execute("DROP TRIGGER IF EXISTS auditentry_no_update")
