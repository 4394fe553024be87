"""``check_sources`` flags weak provenance; ``primary_share`` counts own sources."""

from __future__ import annotations

from datetime import date

import pandas as pd

from tracker.provenance import check_sources, primary_share


def frame(*rows: dict) -> pd.DataFrame:
    base = {
        "company": "Meta",
        "source_url": "https://investor.atmeta.com/q4",
        "notes": "Guidance range, Q4 results.",
        "evidence": "company",
        "source_type": "company_release",
        "announced_on": "2025-01-29",
    }
    out = pd.DataFrame([{**base, **r} for r in rows])
    out.insert(0, "id", range(1, len(out) + 1))
    return out


def problems(data: pd.DataFrame) -> dict[int, list[str]]:
    table = check_sources(data, today=date(2026, 11, 26))
    return table.groupby("id")["problem"].apply(list).to_dict()


def test_each_weakness_is_flagged_once_and_clean_rows_pass():
    data = frame(
        {},  # 1: clean
        {"source_url": ""},  # 2: no URL
        {"company": "Alphabet", "source_url": "https://news.example/roundup"},  # 3
        {"company": "Amazon", "source_url": "https://news.example/roundup"},  # 4
        {"notes": "Guidance, implied: run rate x 4."},  # 5: our own arithmetic
        {"notes": "up from our previous estimate of $75B"},  # 6: company wording, fine
        {"notes": "Source: press article dated the day after the release."},  # 7
        {"evidence": "press_report"},  # 8
        {"announced_on": "2027-01-01"},  # 9
    )
    found = problems(data)
    assert 1 not in found and 6 not in found
    assert found[2] == ["no source URL"]
    assert found[3] == found[4] == ["the same source URL is cited for another company"]
    assert found[5] == ["notes mark the figure as an estimate or implied"]
    assert found[7] == ["the cited source is dated after the announcement"]
    assert found[8] == ["press report, not confirmed by the company (out of totals by default)"]
    assert found[9] == ["announced after today"]


def test_primary_share_counts_filings_and_releases():
    data = frame(
        {"source_type": "filing"},
        {"source_type": "company_release"},
        {"source_type": "press_article"},
        {"source_type": "press_article"},
    )
    # 2 of 4 rows cite the company's own document.
    assert primary_share(data) == 0.5
    assert primary_share(data.iloc[0:0]) == 0.0
