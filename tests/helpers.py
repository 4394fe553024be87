"""Small builders shared by tests."""

from __future__ import annotations

import pandas as pd

from tracker.validation import ALL_COLUMNS

GOOD_ROW = {
    "company": "Meta",
    "ticker": "META",
    "country": "US",
    "fy_end_month": "12",
    "kind": "guidance",
    "scope": "total_capex",
    "period": "2025",
    "amount_low": "60",
    "amount_high": "65",
    "currency": "USD",
    "announced_on": "2025-01-29",
    "source_url": "https://investor.atmeta.com/q4-2024",
    "notes": "range",
}


def rows(*overrides: dict) -> pd.DataFrame:
    """Raw rows (strings) built from GOOD_ROW with per-row overrides."""
    return pd.DataFrame([{**GOOD_ROW, **o} for o in overrides], columns=list(ALL_COLUMNS))


def announcement_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """Validated rows shaped like ``repository.announcements_frame`` (ids from 1)."""
    from tracker.fx import default_fx
    from tracker.validation import validate_frame

    companies = pd.DataFrame(columns=["name", "country", "fiscal_year_end_month", "ticker"])
    result = validate_frame(raw, companies, default_fx())
    assert result.ok, result.errors.to_string()
    out = result.valid.rename(columns={"fy_end_month": "fy_end_month"})
    out.insert(0, "id", range(1, len(out) + 1))
    return out
