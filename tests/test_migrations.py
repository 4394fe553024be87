"""The schema comes from migrations, and they match the SQLModel models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import tracker.models  # noqa: F401
from tracker.db import make_engine
from tracker.migrations import downgrade, upgrade


def test_migrated_schema_matches_models(empty_engine):
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_downgrade_removes_tables(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"company", "announcement", "announcement_change", "filing_metric"} <= tables
    columns = {c["name"] for c in inspect(engine).get_columns("announcement")}
    assert {"qualifier", "source_type", "evidence", "supersedes", "version"} <= columns
    downgrade(engine, "base")
    assert "announcement" not in inspect(engine).get_table_names()
    engine.dispose()
