"""First run: migrate the schema and, on a brand-new database, load the seed.

Kept apart from :mod:`tracker.db` so that the database layer does not import the
service that writes through it.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker.config import database_url, seed_path
from tracker.csv_io import read_announcements_csv
from tracker.db import ensure_schema, make_engine
from tracker.errors import database_errors
from tracker.models import Announcement, Company
from tracker.service import import_frame


def is_empty(engine: Engine) -> bool:
    with Session(engine) as session:
        # sqlmodel types exec() for its own Select; a SQLAlchemy Select runs the same.
        count_companies = select(func.count()).select_from(Company)
        count_announcements = select(func.count()).select_from(Announcement)
        companies = session.exec(count_companies).one()[0]  # type: ignore[call-overload]
        announcements = session.exec(count_announcements).one()[0]  # type: ignore[call-overload]
    return bool(companies == 0 and announcements == 0)


def init_db(engine: Engine, seed: bool = True) -> None:
    """Create or upgrade the schema and, on a brand-new database, load the seed."""
    with database_errors("open the database"):
        ensure_schema(engine)
        if seed and is_empty(engine):
            import_frame(engine, read_announcements_csv(seed_path()), user="seed")


# lru_cache does not hold other threads back while it computes: without the lock, the
# server's warm-up and a first session could both find a new database empty and seed it.
_OPENING = threading.Lock()


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    engine = make_engine(url)
    init_db(engine)
    return engine


def get_engine() -> Engine:
    """The process-wide engine for the configured database, migrated and seeded (once,
    whichever thread asks first)."""
    url = database_url()
    with _OPENING:
        return _engine_for(url)
