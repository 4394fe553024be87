"""Finding the edited rows of the Announcements grid (tracker.grid.grid_edits)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tracker.grid import grid_edits
from tracker.schema import EDITABLE


def _grid(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for name in EDITABLE:
        if name not in frame.columns:
            frame[name] = ""
    return frame


def test_only_changed_cells_of_changed_rows_are_reported():
    before = _grid(
        [
            {"id": 7, "company": "A", "version": 3, "amount_low": "60", "notes": "x"},
            {"id": 9, "company": "B", "version": 1, "amount_low": "5", "notes": ""},
            {"id": 11, "company": "C", "version": 2, "amount_low": "1", "notes": ""},
        ]
    )
    after = before.copy()
    after.loc[0, "amount_low"] = " 65 "  # changed, typed with spaces
    after.loc[1, "notes"] = None  # blank stays blank: no change
    after.loc[2, "notes"] = np.nan
    after.loc[2, "currency"] = "EUR"
    edits = grid_edits(before, after)
    assert [(e.id, e.version, e.changes) for e in edits] == [
        (7, 3, {"amount_low": "65"}),
        (11, 2, {"currency": "EUR"}),
    ]


def test_rows_not_in_the_opened_grid_are_ignored():
    before = _grid([{"id": 1, "company": "A", "version": 1, "notes": "a"}])
    after = _grid([{"id": 2, "company": "B", "version": 1, "notes": "b"}])
    assert grid_edits(before, after) == []
    assert grid_edits(before, before.copy()) == []
