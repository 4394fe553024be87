"""Editing announcements in a grid: the rows as text cells, what changed, and saving.

The dashboard's Announcements page shows the editable fields of the listed rows in an
``st.data_editor``; :func:`grid_frame` builds those cells (the text a CSV cell or a form
field holds), :func:`grid_edits` finds the rows whose cells changed, and
:func:`save_edits` saves each changed row through :func:`service.update_announcement`
with the version the grid was opened at, so a row someone else saved meanwhile is
refused rather than overwritten. Each row is its own transaction: one row's error does
not hold back the others, and each error is reported with its row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from tracker import service
from tracker.csv_io import cell_text
from tracker.errors import CapexError, ValidationFailed
from tracker.schema import EDITABLE

MAX_ROWS = 500
READ_ONLY = ("id", "company", "version")


def grid_frame(announcements: pd.DataFrame, limit: int = MAX_ROWS) -> pd.DataFrame:
    """The newest ``limit`` announcements: id, company and version (read-only) and every
    editable field as text."""
    rows = announcements.sort_values("id", ascending=False).head(limit)
    out = pd.DataFrame({"id": rows["id"].astype(int), "company": rows["company"].astype(str)})
    out["version"] = rows["version"].astype(int)
    for name in EDITABLE:
        out[name] = [cell_text(v, name) for v in rows[name]]
    return out.reset_index(drop=True)


@dataclass
class RowEdit:
    id: int
    version: int
    changes: dict[str, str]


def grid_edits(before: pd.DataFrame, after: pd.DataFrame) -> list[RowEdit]:
    """Rows whose editable cells differ between the grid as opened and as edited."""
    old = before.set_index("id")
    versions = {int(i): int(v) for i, v in zip(before["id"], before["version"], strict=True)}
    edits = []
    for row in after.to_dict("records"):
        ident = int(row["id"])
        if ident not in old.index:
            continue
        changes = {
            name: _text(row[name])
            for name in EDITABLE
            if _text(row[name]) != _text(old.at[ident, name])
        }
        if changes:
            edits.append(RowEdit(ident, versions[ident], changes))
    return edits


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


@dataclass
class GridResult:
    saved: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)  # id -> message

    def describe(self) -> str:
        parts = []
        if self.saved:
            parts.append("saved " + ", ".join(f"#{i}" for i in self.saved))
        if self.errors:
            parts.append("not saved " + ", ".join(f"#{i}" for i in self.errors))
        return "; ".join(parts) or "nothing changed"


def save_edits(engine: Engine, edits: list[RowEdit], user: str | None = None) -> GridResult:
    """Save each edited row with the version it was opened at; errors per row."""
    result = GridResult()
    for edit in edits:
        try:
            service.update_announcement(
                engine, edit.id, edit.changes, user, expected_version=edit.version
            )
        except ValidationFailed as error:
            messages = error.result.messages_by_field()
            result.errors[edit.id] = "; ".join(
                f"{name}: {m}" if name not in ("", "line") else m
                for name, found in messages.items()
                for m in found
            ) or str(error)
        except CapexError as error:
            result.errors[edit.id] = str(error)
        else:
            result.saved.append(edit.id)
    return result
