"""Imports with progress: check, then save in chunks, all inside one transaction.

:func:`import_with_progress` does what :func:`tracker.service.import_frame` does (the
same :func:`service.check` and :func:`service.save` on one session), but reports how far
it got (rows read, rows validated, rows saved) to a callback, so the dashboard can show
a progress bar and the CLI a bar on a terminal. Saving in chunks changes nothing about
safety: every chunk is written in the same transaction, committed once at the end, so a
cancelled or failed import (Ctrl-C, a closed browser tab, a lost connection) saves
nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TextIO

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker import service
from tracker.service import ImportReport

CHUNK_ROWS = service.CHUNK_ROWS
STAGES = ("reading", "validating", "saving", "done")


@dataclass(frozen=True)
class Step:
    """Where an import is: the stage, rows done in it and rows in all."""

    stage: str
    done: int
    total: int

    @property
    def fraction(self) -> float:
        """Overall progress, 0..1: validating is the first half, saving the second."""
        part = self.done / self.total if self.total else 1.0
        if self.stage == "reading":
            return 0.0
        if self.stage == "validating":
            return 0.5 * part
        if self.stage == "saving":
            return 0.5 + 0.5 * part
        return 1.0

    def describe(self) -> str:
        if self.stage == "done":
            return f"done: {self.total:,} row(s)"
        if self.stage == "reading":
            return f"reading {self.total:,} row(s)"
        return f"{self.stage}: {self.done:,} of {self.total:,} row(s)"


Progress = Callable[[Step], None]


def _first_line(raw: pd.DataFrame, first_line: int | pd.Series | None) -> int | pd.Series:
    if first_line is not None:
        return first_line
    lines = raw.attrs.get("lines")
    return lines if lines is not None and len(lines) == len(raw) else 2


def import_rows(
    session: Session,
    raw: pd.DataFrame,
    user: str | None = None,
    skip_invalid: bool = False,
    progress: Progress = lambda _s: None,
    first_line: int | pd.Series | None = None,
    today: date | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportReport:
    """:func:`tracker.service.import_rows` on ``session`` (the caller commits), its
    stages reported as :class:`Step` objects."""
    report, _result = service.import_rows(
        session,
        raw,
        user,
        skip_invalid,
        today,
        _first_line(raw, first_line),
        lambda stage, done, total: progress(Step(stage, done, total)),
        chunk_rows,
    )
    return report


def import_with_progress(
    engine: Engine,
    raw: pd.DataFrame,
    user: str | None = None,
    skip_invalid: bool = False,
    progress: Progress = lambda _s: None,
    first_line: int | pd.Series | None = None,
    today: date | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportReport:
    """:func:`import_rows` in one write transaction: all rows or none."""
    return service.write(
        engine,
        "save the announcements",
        lambda s: import_rows(s, raw, user, skip_invalid, progress, first_line, today, chunk_rows),
    )


class TerminalBar:
    """A one-line progress bar on a terminal (stderr); silent when stderr is piped or
    redirected, so scripts and logs get only the result line."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None = None, min_interval: float = 0.1) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.min_interval = min_interval
        self._last = 0.0
        self._drawn = False

    def __call__(self, step: Step) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        final = step.stage == "done"
        if not final and now - self._last < self.min_interval and step.done != step.total:
            return
        self._last = now
        filled = round(step.fraction * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {step.fraction:4.0%} {step.describe()}\x1b[K")
        self._drawn = True
        if final:
            self.stream.write("\n")
            self._drawn = False
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line (after an error, so the message starts on its own line)."""
        if self.enabled and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
