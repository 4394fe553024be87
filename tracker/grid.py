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
    """Rows whose editable cells differ between the grid as opened and as edited,
    compared column by column (a grid holds hundreds of rows, rerun on every click)."""
    old = before.set_index("id")
    new = after.set_index("id")
    new = new[new.index.isin(old.index)]
    old = old.reindex(new.index)
    texts = {name: _texts(new[name]) for name in EDITABLE}
    changed = pd.DataFrame(
        {name: texts[name] != _texts(old[name]) for name in EDITABLE}, index=new.index
    )
    versions = dict(zip(old.index.tolist(), old["version"].astype(int).tolist(), strict=True))
    edits = []
    for ident in changed.index[changed.any(axis=1)]:
        names = [name for name in EDITABLE if changed.at[ident, name]]
        cells = {n: str(texts[n].at[ident]) for n in names}
        edits.append(RowEdit(int(ident), versions[ident], cells))
    return edits


def _texts(column: pd.Series) -> pd.Series:
    """Each cell as the text it stands for: blank for a missing value, stripped."""
    cells = column.astype(object)
    return cells.where(cells.notna(), "").astype(str).str.strip()


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
