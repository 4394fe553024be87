"""Fixtures: a fresh, migrated database per test, on SQLite or (when
``CAPEX_TEST_DATABASE_URL`` is set) on a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tracker import db as tracker_db
from tracker.db import init_db, make_engine

PG_URL = os.environ.get("CAPEX_TEST_DATABASE_URL", "").strip()
ROOT = Path(__file__).resolve().parent.parent


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def wipe_database(url: str) -> None:
    """Remove every table and row so the next ``init_db`` starts from nothing."""
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    else:
        _reset_postgres(url)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = PG_URL or f"sqlite:///{tmp_path / 'capex.sqlite'}"
    wipe_database(url)
    return url


@pytest.fixture
def configured_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point ``tracker.config`` (CLI, dashboard) at the test database."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("CAPEX_USER", "tester")
    _forget_engines()
    yield db_url
    _forget_engines()


def _forget_engines() -> None:
    """Drop engines and data cached for an earlier test's database: on PostgreSQL every
    test reuses one URL, wiped in between, so a cached engine would skip ``init_db``."""
    import streamlit as st

    tracker_db._engine_for.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def empty_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    init_db(engine, seed=False)
    yield engine
    engine.dispose()


@pytest.fixture
def seeded_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    init_db(engine, seed=True)
    yield engine
    engine.dispose()
