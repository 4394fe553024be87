"""Where the database, seed and FX files are, from the environment or defaults.

The embedded default is a SQLite file in the user's home so that the dashboard and the
CLI see the same data wherever they are started; ``DATABASE_URL`` switches to a shared
server (PostgreSQL) for the multi-user deployment. The seed and FX table ship inside the
package (``tracker/data`` is the repository's ``data/`` folder) and are read through
:mod:`importlib.resources`, so an installed wheel works outside a checkout.
"""

from __future__ import annotations

import getpass
import os
from importlib import resources
from pathlib import Path


def database_url() -> str:
    """``DATABASE_URL`` if set, else a SQLite file at ``CAPEX_DB_PATH`` or the default."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # SQLAlchemy wants an explicit driver; accept the common postgres:// spelling.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
    path = Path(os.environ.get("CAPEX_DB_PATH", Path.home() / ".capex-tracker" / "capex.sqlite"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def snapshot_dir() -> Path | None:
    """Where loaded announcements are kept for the next start (:mod:`tracker.snapshot`):
    ``CAPEX_SNAPSHOT_DIR``, or ``~/.capex-tracker/snapshots``; None when set to ``off``."""
    value = os.environ.get("CAPEX_SNAPSHOT_DIR", "").strip()
    if value.lower() in ("off", "0", "no", "false"):
        return None
    # expanduser: a "~/..." from a service or .env file is the home's, not ./~.
    return Path(value or "~/.capex-tracker/snapshots").expanduser()


def packaged(name: str) -> Path:
    """A data file shipped with the package (``data/`` in a checkout)."""
    return Path(str(resources.files("tracker") / "data" / name))


def seed_path() -> Path:
    return Path(os.environ.get("CAPEX_SEED_PATH") or packaged("seed.csv"))


def fx_path() -> Path:
    return Path(os.environ.get("CAPEX_FX_PATH") or packaged("fx_rates.csv"))


def current_user() -> str:
    """Who is making a change, for the edit history: ``CAPEX_USER`` or the login name."""
    user = os.environ.get("CAPEX_USER", "").strip()
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def public_url() -> str:
    """Where readers open the dashboard (``CAPEX_PUBLIC_URL``), for links in exports and
    citations; the local Streamlit address by default."""
    return os.environ.get("CAPEX_PUBLIC_URL", "").strip() or "http://localhost:8501"
