"""Table styling shared by the dashboard's pages (presentation only)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

# Companies a styled company-by-year table shows at most: styling costs a Python call
# per cell, in pandas and in Streamlit (660 companies took 0.3-0.5 s a visit).
MAX_COMPARED = 200
GREY = "color: #9a9a9a; background-color: #f3f3f3; font-style: italic"


def partial_year_css(table: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    """CSS per cell of a company-by-year ``table``: grey where ``coverage`` (months
    covered per company and year) is under 12. Built by column, not by a Python call
    per row: the comparison table has thousands of rows at 100k announcements."""
    months = coverage.set_index("company")
    years = [c for c in table.columns if c in months.columns]
    covered = months.reindex(index=table["company"], columns=years).to_numpy(dtype=float)
    css = pd.DataFrame("", index=table.index, columns=table.columns)
    css[years] = np.where(covered < 12, GREY, "")  # NaN (no figure) compares False
    return css


def greyed_partial_years(table: pd.DataFrame, coverage: pd.DataFrame) -> Styler:
    """The table with partial years (fewer than 12 months covered) in grey italics and
    one decimal."""
    css = partial_year_css(table, coverage)
    numbers = [c for c in table.columns if c not in ("company", "measure")]
    return table.style.apply(lambda _t: css, axis=None).format("{:,.1f}", subset=numbers, na_rep="")
