"""Engine creation and schema migration, for SQLite and PostgreSQL alike.

SQLite runs in WAL mode with a busy timeout so that the dashboard and a CLI import (or
two analysts' processes) can write to one file without "database is locked" errors.
SQLAlchemy, not pysqlite, emits BEGIN (pysqlite's own transaction handling breaks
SAVEPOINT), and write transactions start with ``BEGIN IMMEDIATE``: a deferred
transaction that read first and then writes fails at once with SQLITE_BUSY when
another process committed in between, instead of waiting its turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

from tracker.config import database_url


def make_engine(url: str | None = None) -> Engine:
    """A new engine for ``url`` (default: :func:`tracker.config.database_url`)."""
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # pragma: no cover - trivial
            dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN, see _sqlite_begin
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            mode = "IMMEDIATE" if conn.get_execution_options().get("capex_write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for a transaction that will write: on SQLite it takes the write lock
    up front (waiting for other writers) so it can never fail half-way for a lock."""
    with engine.connect() as conn:
        conn.execution_options(capex_write=True)
        with Session(bind=conn) as session:
            yield session


def ensure_schema(engine: Engine) -> None:
    """Bring the schema to the latest migration."""
    from tracker.migrations import upgrade

    upgrade(engine)
