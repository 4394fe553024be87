"""Table styling of the dashboard (dashboard.tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.tables import GREY, greyed_partial_years, partial_year_css


def test_only_partial_years_are_grey():
    """A covers 12 months of 2024 and 6 of 2025; B has no 2024 figure and 12 months of
    2025; A has two rows (two measures). Only A's 2025 cells are grey."""
    table = pd.DataFrame(
        {
            "company": ["A", "A", "B"],
            "measure": ["mid", "yoy", "mid"],
            2024: [10.0, np.nan, np.nan],
            2025: [5.0, -50.0, 7.0],
        }
    )
    coverage = pd.DataFrame({"company": ["B", "A"], 2024: [np.nan, 12.0], 2025: [12.0, 6.0]})
    css = partial_year_css(table, coverage)
    assert css[2025].tolist() == [GREY, GREY, ""]
    assert css[2024].tolist() == ["", "", ""]
    assert (css[["company", "measure"]] == "").all().all()
    html = greyed_partial_years(table, coverage).to_html()
    assert "font-style: italic" in html
    assert "10.0" in html and "-50.0" in html
