"""Checks on where figures come from, so a curator sees weak rows before an analyst does.

Flags rows without a source, sources used for more than one company, notes that admit
an estimate, press reports, and (for ``announced_on``) dates in the future. Whether a
cited page is dated after the announcement cannot be read offline; rows whose notes say
so ("dated after") are flagged too.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from tracker.vocab import Evidence, SourceType


def check_sources(frame: pd.DataFrame, today: date | None = None) -> pd.DataFrame:
    """One row per problem: ``id``, ``company``, ``problem``."""
    today = today or date.today()
    problems: list[pd.DataFrame] = []

    def flag(mask: pd.Series, problem: str) -> None:
        if mask.any():
            problems.append(frame.loc[mask, ["id", "company"]].assign(problem=problem))

    url = frame["source_url"].fillna("").astype(str)
    notes = frame["notes"].fillna("").astype(str)
    flag(url.str.strip() == "", "no source URL")
    companies_per_url = frame.groupby(url)["company"].transform("nunique")
    flag((url != "") & (companies_per_url > 1), "the same source URL is cited for another company")
    # The tracker's own estimates, not a company's "up from our previous estimate".
    flag(
        notes.str.contains(
            r"\b(?:estimated by|analysts?' estimates?|our own sum)\b|^(?:\w+, )?implied\b",
            case=False,
        ),
        "notes mark the figure as an estimate or implied",
    )
    flag(
        notes.str.contains(r"dated (?:the day |\d+ days? )?after", case=False),
        "the cited source is dated after the announcement",
    )
    flag(
        frame["evidence"] == Evidence.PRESS_REPORT.value,
        "press report, not confirmed by the company (out of totals by default)",
    )
    flag(pd.to_datetime(frame["announced_on"]) > pd.Timestamp(today), "announced after today")
    out = (
        pd.concat(problems, ignore_index=True)
        if problems
        else pd.DataFrame(columns=["id", "company", "problem"])
    )
    return out.sort_values(["id", "problem"]).reset_index(drop=True)


def primary_share(frame: pd.DataFrame) -> float:
    """Share of rows citing the company's own filing or release."""
    if frame.empty:
        return 0.0
    primary = frame["source_type"].isin([SourceType.FILING.value, SourceType.COMPANY_RELEASE.value])
    return float(primary.mean())
