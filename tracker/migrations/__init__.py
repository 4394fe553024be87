"""Alembic migrations, run programmatically so no ``alembic.ini`` has to be found.

``upgrade(engine)`` is what :func:`tracker.db.init_db` calls on every start; it is a
no-op when the schema is current. New schema changes get a new file in ``versions/``
(``alembic revision`` with ``script_location`` pointing here, or by hand).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

SCRIPT_LOCATION = Path(__file__).resolve().parent


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)
