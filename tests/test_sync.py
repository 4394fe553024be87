"""SEC sync end to end: fixture companyfacts files -> database -> ``capex summary``.

The companyfacts fixtures (tests/fixtures/sec) hold, in USD bn (headline capex as each
company defines it):
- Microsoft (June year end, incl. finance leases): FY2024 = 60 (its quarters carry no
  finance-lease figure, so only the year is synced); FY2025 quarters 18, 20, 22, 24
  (Jul 2024 - Jun 2025, sum 84 = FY2025); FY2026 Q1 = 23 (Jul-Sep 2025).
- Meta (incl. principal payments on finance leases): 2024 quarters 6.715, 8.472, 9.665,
  14.373 (sum 39.225 = the 2024 10-K figure).
- Amazon (PaymentsToAcquireProductiveAssets): 2023 Q1 14.207 and the year 52.729;
  2024 quarters 14.925, 17.620, 22.620, 27.834 (sum 82.999).
- Oracle (May year end): FY2024 quarters 1.7 (Jun-Aug 2023), 2.1, 1.4 (Dec 2023-Feb
  2024), 1.7 (Mar-May 2024); FY2025 quarters 2.3, 4.2, 5.6 (Dec 2024-Feb 2025), 9.1.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from tracker import queries, sec, sync
from tracker.bootstrap import get_engine
from tracker.cli import main

FACTS = Path(__file__).resolve().parent / "fixtures" / "sec"
HAND = """id,company,ticker,country,fy_end_month,cik,venture_partners,kind,scope,period,\
amount_low,amount_high,currency,qualifier,announced_on,source_url,source_type,evidence,\
supersedes,notes
1,Microsoft,MSFT,US,6,789019,,actual,total_capex,FY2025,84,84,USD,exact,2025-07-30,\
https://www.microsoft.com/en-us/investor/earnings/fy-2025-q4,company_release,company,,hand
2,Meta,META,US,12,1326801,,actual,total_capex,2024,39.23,39.23,USD,exact,2025-01-29,\
https://investor.atmeta.com/q4-2024,company_release,company,,hand
3,Amazon,AMZN,US,12,1018724,,guidance,total_capex,2025,100,100,USD,about,2025-02-06,\
https://ir.aboutamazon.com/q4-2024,company_release,company,,hand
4,Oracle,ORCL,US,5,1341439,,actual,total_capex,FY2025,21.2,21.2,USD,at_least,2025-06-11,\
https://investor.oracle.com/q4-fy25,company_release,company,,hand
"""


@pytest.fixture
def synced(configured_env, tmp_path, monkeypatch):
    seed = tmp_path / "hand.csv"
    seed.write_text(HAND, encoding="utf-8")
    monkeypatch.setenv("CAPEX_SEED_PATH", str(seed))
    engine = get_engine()
    report = sync.sync(engine, sec.load_companyfacts_dir(FACTS))
    return engine, report


def approx2(value: float):
    """``capex summary`` prints figures rounded to 2 decimals of USD bn."""
    return pytest.approx(round(value, 2))


def summary(*args: str) -> dict[tuple[str, int], dict]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["summary", "--format", "json", "--as-of", "2026-11-01", *args]) == 0
    return {(r["company"], r["year"]): r for r in json.loads(out.getvalue())}


def test_calendar_years_from_synced_filings(synced):
    figures = summary()
    # Microsoft 2024: Jan-Jun from FY2024 (60 / 12 * 6 = 30, no quarter covers them)
    # plus FY2025 Q1 18 + Q2 20 = 68.0, a full year.
    assert figures[("Microsoft", 2024)]["mid"] == approx2(68.0)
    assert figures[("Microsoft", 2024)]["months"] == 12
    # Microsoft 2025: FY2025 Q3 22 + Q4 24 + FY2026 Q1 23 = 69 over 9 months: partial.
    assert figures[("Microsoft", 2025)]["mid"] == approx2(69.0)
    assert figures[("Microsoft", 2025)]["months"] == 9
    assert figures[("Microsoft", 2025)]["in_totals"] is False
    # Meta 2024 = 6.715 + 8.472 + 9.665 + 14.373 = 39.225 (the filing, not the typed
    # 39.23), printed to 2 decimals.
    assert figures[("Meta", 2024)]["mid"] == approx2(6.715 + 8.472 + 9.665 + 14.373)
    # Amazon 2023: Q1 14.207 and the year 52.729 fills Apr-Dec with 52.729 - 14.207.
    assert figures[("Amazon", 2023)]["mid"] == approx2(52.729)
    assert figures[("Amazon", 2024)]["mid"] == approx2(82.999)
    # Oracle 2024: Jan-Feb = 2/3 of 1.4, Mar-May 1.7, Jun-Aug 2.3, Sep-Nov 4.2,
    # Dec = 1/3 of 5.6: 0.9333 + 1.7 + 2.3 + 4.2 + 1.8667 = 11.0.
    assert figures[("Oracle", 2024)]["mid"] == approx2(11.0)
    assert figures[("Oracle", 2024)]["basis"] == "actual"


def test_synced_rows_cite_the_filing_and_supersede_hand_entries(synced):
    engine, report = synced
    frame = queries.announcements_frame(engine)
    filed = frame[frame["external_key"].notna()]
    assert filed["source_url"].str.startswith("https://www.sec.gov/Archives/edgar/data/").all()
    assert (filed["source_type"] == "filing").all()
    assert filed["notes"].str.contains("accession").all()
    # The hand-entered Microsoft FY2025 (id 1) and Oracle FY2025 (id 4) are superseded
    # by the synced fiscal years for exactly the same months.
    superseded = set(filed["supersedes"].dropna().astype(int))
    assert {1, 4} <= superseded
    # Microsoft's FY2024 quarters lack the finance-lease part: skipped, and said so.
    assert any("Microsoft fiscal 2024 Q1" in s for s in report.skipped)


def test_rerun_changes_nothing(synced):
    engine, first = synced
    before = queries.announcements_frame(engine)
    second = sync.sync(engine, sec.load_companyfacts_dir(FACTS))
    assert second.inserted == 0 and second.updated == 0
    assert second.unchanged == first.inserted
    after = queries.announcements_frame(engine)
    assert len(after) == len(before)
    assert (after["version"] == before["version"]).all()


def test_changed_filing_updates_its_row_with_history(synced, tmp_path):
    engine, _ = synced
    folder = tmp_path / "facts"
    folder.mkdir()
    for path in FACTS.glob("*.json"):
        (folder / path.name).write_text(path.read_text())
    data = json.loads((folder / "CIK0001326801.json").read_text())
    # Restate Meta's Q1 2024 cash capex from 6.400 to 6.500 in a later 10-Q/A.
    entries = data["facts"]["us-gaap"]["PaymentsToAcquirePropertyPlantAndEquipment"]["units"]["USD"]
    q1 = next(e for e in entries if e["start"] == "2024-01-01" and e["end"] == "2024-03-31")
    entries.append(
        {
            **q1,
            "val": 6_500_000_000,
            "form": "10-Q/A",
            "filed": "2025-03-01",
            "accn": "0001326801-25-000999",
        }
    )
    (folder / "CIK0001326801.json").write_text(json.dumps(data))
    report = sync.sync(engine, sec.load_companyfacts_dir(folder))
    # Q1 rises by 0.1 (plus the unchanged finance-lease part: 6.815); the half-year YTD
    # is unchanged, so Q2 = H1 - Q1 falls by 0.1 (8.472 -> 8.372): two rows updated.
    assert report.updated == 2
    changes = " ".join(queries.history_frame(engine)["changes"])
    assert "amount_low: 6.715 → 6.815" in changes
    assert "amount_low: 8.472 → 8.372" in changes
    # The year is unchanged: 6.815 + 8.372 + 9.665 + 14.373 = 39.225.
    assert summary()[("Meta", 2024)]["mid"] == pytest.approx(
        round(6.715 + 8.472 + 9.665 + 14.373, 2)
    )


def test_reconcile_matches_reported_annual_capex(synced):
    engine, _ = synced
    table = sync.reconcile(queries.announcements_frame(engine))
    rows = table.set_index(["company", "period"])
    # Microsoft FY2025 typed 84 vs 18 + 20 + 22 + 24 = 84; Oracle FY2025 21.2 vs
    # 2.3 + 4.2 + 5.6 + 9.1 = 21.2.
    assert rows.loc[("Microsoft", "FY2025"), "diff_%"] == pytest.approx(0.0)
    assert rows.loc[("Oracle", "FY2025"), "ok"]
    assert table["ok"].all()


def test_reconcile_lists_a_company_that_does_not_match():
    import pandas as pd

    def row(i, period, start, end, amount, key=None):
        return {
            "id": i,
            "company": "X",
            "kind": "actual",
            "period": period,
            "period_start": pd.Timestamp(start),
            "period_end": pd.Timestamp(end),
            "amount_low": amount,
            "external_key": key,
            "announced_on": pd.Timestamp("2025-01-01"),
        }

    frame = pd.DataFrame(
        [row(1, "2024", "2024-01-01", "2024-12-31", 100.0)]
        + [
            row(
                2 + q,
                "q",
                f"2024-{3 * q + 1:02d}-01",
                pd.Timestamp(f"2024-{3 * q + 1:02d}-01") + pd.offsets.MonthEnd(3),
                24.0,
                f"sec:1:{q}",
            )
            for q in range(4)
        ]
    )
    table = sync.reconcile(frame)
    # 4 x 24 = 96 vs 100: -4 %, outside 1 %.
    assert table.iloc[0]["diff_%"] == pytest.approx(-4.0)
    assert not table.iloc[0]["ok"]


def test_cli_sync_offline_and_refusal_online(synced, monkeypatch, capsys):
    assert main(["sync", "sec", "--from-dir", str(FACTS)]) == 0
    assert "0 filing figure(s) added" in capsys.readouterr().out
    monkeypatch.delenv("CAPEX_SEC_USER_AGENT", raising=False)
    assert main(["sync", "sec"]) == 1
    err = capsys.readouterr().err
    assert "User-Agent" in err and "database was not changed" in err
