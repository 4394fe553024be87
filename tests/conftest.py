"""Fixtures: a fresh, migrated database per test, on SQLite or (when
``CAPEX_TEST_DATABASE_URL`` is set) on a real PostgreSQL server.

Data comes from the tests' own files, never the product's: ``tests/fixtures/
announcements.csv`` (31 rows with ids) and an FX table built in :mod:`tests.helpers`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.helpers import FIXTURE, write_fx
from tracker import bootstrap
from tracker.bootstrap import init_db
from tracker.csv_io import read_announcements_csv
from tracker.db import make_engine
from tracker.service import import_frame

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


@pytest.fixture(autouse=True)
def snapshot_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test keeps its snapshots (tracker.snapshot) in its own folder, never in the
    home of whoever runs the tests."""
    folder = tmp_path / "snapshots"
    monkeypatch.setenv("CAPEX_SNAPSHOT_DIR", str(folder))
    return folder


@pytest.fixture
def test_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the seed and FX paths at the tests' fixture file and FX table."""
    fx = write_fx(tmp_path / "fx_rates.csv")
    monkeypatch.setenv("CAPEX_SEED_PATH", str(FIXTURE))
    monkeypatch.setenv("CAPEX_FX_PATH", str(fx))
    return fx


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = PG_URL or f"sqlite:///{tmp_path / 'capex.sqlite'}"
    wipe_database(url)
    return url


@pytest.fixture
def configured_env(db_url: str, test_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point ``tracker.config`` (CLI, dashboard) at the test database, seeded on first
    use with the fixture file."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("CAPEX_USER", "tester")
    _forget_engines()
    yield db_url
    _forget_engines()


def _forget_engines() -> None:
    """Drop engines and data cached for an earlier test's database: on PostgreSQL every
    test reuses one URL, wiped in between, so a cached engine would skip ``init_db``."""
    bootstrap._engine_for.cache_clear()
    try:
        import streamlit as st
    except ImportError:  # pragma: no cover - streamlit is a dependency
        return
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def empty_engine(db_url: str, test_data: Path) -> Iterator[Engine]:
    engine = make_engine(db_url)
    init_db(engine, seed=False)
    yield engine
    engine.dispose()


@pytest.fixture
def seeded_engine(db_url: str, test_data: Path) -> Iterator[Engine]:
    """A database holding the 31 fixture announcements with their ids."""
    engine = make_engine(db_url)
    init_db(engine, seed=False)
    import_frame(engine, read_announcements_csv(FIXTURE), user="seed")
    yield engine
    engine.dispose()
