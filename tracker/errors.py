"""What can go wrong, as one clear sentence for the person who asked.

Every failure a user can meet is a :class:`CapexError`; the CLI prints its message and
exits 1, the dashboard shows it without a traceback. Database and driver exceptions are
translated in one place, :func:`database_errors`, which logs the details for whoever
runs the server and keeps file paths and SQL out of the message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc

if TYPE_CHECKING:
    from tracker.validation import ValidationResult

log = logging.getLogger("tracker")


class CapexError(Exception):
    """A failure the user can act on; ``str()`` is the sentence to show."""


class ValidationFailed(CapexError):
    """Input had errors; nothing was saved. ``result.errors`` lists them by line."""

    def __init__(self, result: ValidationResult, what: str = "nothing was saved"):
        self.result = result
        super().__init__(f"{what}:\n{result.summary()}")


class NotFound(CapexError):
    pass


class Conflict(CapexError):
    """The change clashes with the stored state (deleted row, stale version, ...)."""


class StaleEdit(Conflict):
    """Someone else changed the announcement since it was read."""

    def __init__(self, message: str, changed_fields: list[str]):
        self.changed_fields = changed_fields
        super().__init__(message)


class DatabaseUnavailable(CapexError):
    pass


class ReadOnly(CapexError):
    """Writing is not allowed here (not signed in, or a read-only deployment)."""


def _reason(error: BaseException) -> str:
    text = str(getattr(error, "orig", error)).lower()
    if "readonly" in text or "read-only" in text or "read only" in text:
        return "the database is read-only; ask whoever runs it for write access"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            "the database file is damaged; restore it from a backup (capex restore-backup) "
            "or point CAPEX_DB_PATH at another file"
        )
    if "unable to open" in text or "no such file" in text:
        return "the database file cannot be opened; check CAPEX_DB_PATH and its folder"
    if "locked" in text or "timeout" in text:
        return "the database is busy; try again in a moment"
    if "connection" in text or "could not connect" in text or "server closed" in text:
        return "the database server cannot be reached; check DATABASE_URL and the server"
    return "the database refused the operation; see the server log for details"


@contextmanager
def database_errors(action: str) -> Iterator[None]:
    """Turn driver exceptions raised while doing ``action`` into a :class:`CapexError`."""
    try:
        yield
    except (CapexError, BrokenPipeError):
        # A closed pipe (`capex list | head`) is the reader leaving, not a database fault.
        raise
    except sa_exc.IntegrityError as error:
        log.info("integrity error while %s", action, exc_info=True)
        raise Conflict(
            f"could not {action}: another change got there first; reload and try again"
        ) from error
    except (sa_exc.SQLAlchemyError, OSError) as error:
        log.info("database error while %s: %s", action, error.__class__.__name__)
        log.info("details", exc_info=True)
        raise DatabaseUnavailable(f"could not {action}: {_reason(error)}") from error
