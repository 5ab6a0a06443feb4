"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import store.models  # noqa: F401 - registers every table on SQLModel.metadata


def test_migrations_match_the_models(engine: sqlalchemy.Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], "a model changed without a migration (alembic revision --autogenerate)"


def test_queue_indexes_lead_with_the_jurisdiction(engine: sqlalchemy.Engine) -> None:
    indexes = {ix["name"]: ix["column_names"] for ix in sqlalchemy.inspect(engine).get_indexes("case")}
    assert indexes["ix_case_prefecture_queue"] == ["prefecture_code", "stage", "due_on"]
    assert indexes["ix_case_county_queue"] == ["county_code", "stage", "due_on"]
