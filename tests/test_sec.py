"""SEC companyfacts: loading, fact selection, YTD differencing, capex tables, the fetcher.

Fixtures in ``tests/fixtures/sec`` are hand-written in the companyfacts shape; every expected
figure below is computed by hand in the comments (values in USD billions).
"""

from __future__ import annotations

import email.message
import gzip
import http.client
import json
import math
import shutil
import urllib.error
import urllib.request
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tracker import sec
from tracker.sec import SecError, SecSession

FIXTURES = Path(__file__).parent / "fixtures" / "sec"
MSFT, ORCL, AMZN, META = 789019, 1341439, 1018724, 1326801
PPE = "PaymentsToAcquirePropertyPlantAndEquipment"
ROU = "RightOfUseAssetObtainedInExchangeForFinanceLeaseLiability"
FLPP = "FinanceLeasePrincipalPayments"
AGENT = "Capex Tracker tests@example.com"
Companies = dict[int, dict[str, Any]]


@pytest.fixture(scope="module")
def companies() -> Companies:
    return sec.load_companyfacts_dir(FIXTURES)


def _entry(
    start: str | None, end: str, val: int, accn: str, filed: str, form: str = "10-Q"
) -> dict[str, Any]:
    entry: dict[str, Any] = {"end": end, "val": val, "accn": accn, "fy": 2099, "fp": "Q9"}
    entry.update({"form": form, "filed": filed})
    if start is not None:
        entry["start"] = start
    return entry


def _company(tags: dict[str, list[dict[str, Any]]], cik: int = 1) -> dict[str, Any]:
    """A minimal companyfacts document for one-off cases."""
    us_gaap = {tag: {"label": tag, "units": {"USD": rows}} for tag, rows in tags.items()}
    return {"cik": cik, "entityName": "TEST CO", "facts": {"us-gaap": us_gaap}}


def _by_quarter(df: pd.DataFrame) -> dict[tuple[int, int], dict[str, Any]]:
    return {(r["fiscal_year"], r["fiscal_quarter"]): r for r in df.to_dict("records")}


# ---------------------------------------------------------------------------- loading


def test_load_dir_reads_every_cik_file_and_ignores_other_files(tmp_path: Path) -> None:
    for file in FIXTURES.glob("*.json"):
        shutil.copy(file, tmp_path / file.name)
    (tmp_path / "README.txt").write_text("not a companyfacts file")
    (tmp_path / "notes.json").write_text("{}")
    loaded = sec.load_companyfacts_dir(tmp_path)
    assert sorted(loaded) == [MSFT, AMZN, META, ORCL]
    assert loaded[MSFT]["entityName"] == "MICROSOFT CORPORATION"


def test_load_dir_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SecError, match="does not exist"):
        sec.load_companyfacts_dir(tmp_path / "nowhere")


def test_load_dir_refuses_a_file_whose_cik_differs_from_its_name(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "CIK0000789019.json", tmp_path / "CIK0000000001.json")
    with pytest.raises(SecError, match="declares CIK 789019, not the 1 its name says"):
        sec.load_companyfacts_dir(tmp_path)


def test_load_dir_refuses_invalid_json(tmp_path: Path) -> None:
    (tmp_path / "CIK0000000001.json").write_text("{not json")
    with pytest.raises(SecError, match="is not valid JSON"):
        sec.load_companyfacts_dir(tmp_path)


def test_load_zip_reads_the_fixture_files_and_filters_by_cik(tmp_path: Path) -> None:
    archive = tmp_path / "companyfacts.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(FIXTURES.glob("CIK*.json")):
            zf.write(file, arcname=file.name)
        zf.writestr("README.txt", "ignored")

    everything = sec.load_companyfacts_zip(archive)
    assert sorted(everything) == [MSFT, AMZN, META, ORCL]
    assert everything == sec.load_companyfacts_dir(FIXTURES)

    # Only the asked-for members are read; a CIK absent from the archive is just absent.
    some = sec.load_companyfacts_zip(archive, ciks=[MSFT, 320193])
    assert list(some) == [MSFT]
    assert sec.quarterly_capex(some[MSFT]).shape[0] == 9


def test_load_zip_refuses_missing_and_corrupt_archives(tmp_path: Path) -> None:
    with pytest.raises(SecError, match="does not exist"):
        sec.load_companyfacts_zip(tmp_path / "missing.zip")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(SecError, match="not a readable zip file"):
        sec.load_companyfacts_zip(bad)


def test_cik_filename_is_zero_padded_to_ten_digits() -> None:
    assert sec.cik_filename(789019) == "CIK0000789019.json"
    with pytest.raises(SecError, match="not a number"):
        sec.cik_filename("MSFT")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- definitions


def test_definitions_table_and_default() -> None:
    assert sec.definition_for(MSFT).headline_tags == (ROU,)
    assert sec.definition_for(META).headline_tags == (FLPP,)
    assert sec.definition_for(AMZN).cash_tags == (PPE, "PaymentsToAcquireProductiveAssets")
    assert sec.definition_for(ORCL) is sec.DEFAULT_DEFINITION
    assert sec.DEFAULT_DEFINITION.cash_tags == (PPE,)
    assert sec.DEFAULT_DEFINITION.headline_tags == ()


# --------------------------------------------------------------------- fact selection


def test_instant_facts_and_other_units_are_ignored(companies: Companies) -> None:
    facts = sec.duration_facts(companies[MSFT], PPE)
    # 9 distinct periods: FY2024 Q1/H1/9M/FY, FY2025 Q1/H1/9M/FY, FY2026 Q1. The instant
    # entry (val 999e9, no "start") is dropped.
    assert len(facts) == 9
    assert all(f.val != 999_000_000_000 for f in facts)
    assert sec.duration_facts(companies[MSFT], "PropertyPlantAndEquipmentNet") == []
    assert sec.duration_facts(companies[MSFT], "NoSuchTag") == []


def test_repeated_comparatives_keep_their_original_filing(companies: Companies) -> None:
    facts = {(f.start, f.end): f for f in sec.duration_facts(companies[MSFT], PPE)}
    q1_fy24 = facts[(date(2023, 7, 1), date(2023, 9, 30))]
    # Reported 10.0 in the Q1 FY2024 10-Q and repeated unchanged (fy 2025, fp Q1) a year
    # later: one fact, the value unchanged, the source still the original filing.
    assert q1_fy24.val == 10_000_000_000
    assert (q1_fy24.accn, q1_fy24.filed) == ("0000950170-23-000101", date(2023, 10, 24))


def test_latest_filed_wins_and_non_periodic_forms_are_ignored(companies: Companies) -> None:
    facts = {(f.start, f.end): f for f in sec.duration_facts(companies[ORCL], PPE)}
    h1_fy25 = facts[(date(2024, 6, 1), date(2024, 11, 30))]
    # 6.3 in the 10-Q (2024-12-10), 6.5 in the 10-Q/A (2025-04-15); the 8-K (9.9, filed
    # 2025-06-11) is not a periodic report and does not count.
    assert h1_fy25.val == 6_500_000_000
    assert (h1_fy25.accn, h1_fy25.form) == ("0000950170-25-051004", "10-Q/A")


def test_the_final_value_is_sourced_to_its_first_filing() -> None:
    s, e = "2024-01-01", "2024-03-31"
    doc = _company(
        {
            PPE: [
                _entry(s, e, 1, "A", "2024-04-01"),
                _entry(s, e, 2, "B", "2024-05-01", "10-Q/A"),
                _entry(s, e, 2, "C", "2025-04-01"),  # comparative repeating the restated 2
            ]
        }
    )
    (fact,) = sec.duration_facts(doc, PPE)
    assert (fact.val, fact.accn) == (2, "B")
    # Back to 1 later: 1 wins, sourced to the filing that went back to it.
    doc["facts"]["us-gaap"][PPE]["units"]["USD"].append(_entry(s, e, 1, "D", "2025-05-01"))
    (fact,) = sec.duration_facts(doc, PPE)
    assert (fact.val, fact.accn) == (1, "D")


def test_a_malformed_fact_is_reported_in_one_sentence() -> None:
    doc = _company({PPE: [_entry("2024-01-01", "2024-13-31", 1, "A", "2024-04-01")]}, cik=42)
    with pytest.raises(SecError, match=f"CIK 42 has a malformed {PPE} fact"):
        sec.duration_facts(doc, PPE)


# ------------------------------------------------------------------- quarterly capex


def test_microsoft_june_year_quarters_from_ytd_with_finance_leases(companies: Companies) -> None:
    df = sec.quarterly_capex(companies[MSFT], sec.definition_for(MSFT))
    assert list(df.columns) == sec.CAPEX_COLUMNS
    rows = _by_quarter(df)
    # Comparatives repeated under fy 2025/2026 add no rows: 4 + 4 + 1 quarters.
    quarters = [(year, q) for year in (2024, 2025) for q in (1, 2, 3, 4)] + [(2026, 1)]
    assert sorted(rows) == quarters
    # Cash PP&E, FY2025 (July 2024 - June 2025), YTD 15 / 31 / 48 / 66:
    #   Q1 = 15, Q2 = 31 - 15 = 16, Q3 = 48 - 31 = 17, Q4 = 66 - 48 = 18.
    # Finance leases, YTD 3 / 7 / 12 / 18: Q1 3, Q2 4, Q3 5, Q4 6.
    # Headline = cash + finance leases: 18, 20, 22, 24.
    expected = {
        1: (15.0, 18.0, "0000950170-24-000201", date(2024, 10, 30)),
        2: (16.0, 20.0, "0000950170-25-000202", date(2025, 1, 29)),
        3: (17.0, 22.0, "0000950170-25-000203", date(2025, 4, 30)),
        4: (18.0, 24.0, "0000950170-25-000204", date(2025, 7, 30)),
    }
    for quarter, (cash, headline, accn, filed) in expected.items():
        row = rows[(2025, quarter)]
        assert row["cash_capex_usd_bn"] == pytest.approx(cash)
        assert row["headline_capex_usd_bn"] == pytest.approx(headline)
        assert row["tags"] == f"{PPE}+{ROU}"
        assert (row["accn"], row["filed"]) == (accn, filed)
    q2 = rows[(2025, 2)]
    assert (q2["start"], q2["end"]) == (date(2024, 10, 1), date(2024, 12, 31))
    assert (q2["first_month"], q2["last_month"]) == ("2024-10", "2024-12")
    assert q2["cik"] == MSFT and q2["entity"] == "MICROSOFT CORPORATION"
    assert q2["source_url"] == (
        "https://www.sec.gov/Archives/edgar/data/789019/000095017025000202/"
        "0000950170-25-000202-index.htm"
    )
    # FY2026 Q1 (July - September 2025): 19 cash + 4 finance leases = 23.
    q1_26 = rows[(2026, 1)]
    assert (q1_26["cash_capex_usd_bn"], q1_26["headline_capex_usd_bn"]) == (19.0, 23.0)


def test_repeated_comparatives_do_not_change_values_or_sources(companies: Companies) -> None:
    rows = _by_quarter(sec.quarterly_capex(companies[MSFT]))
    # FY2024 YTD 10 / 22 / 36 / 50, each repeated unchanged a year later under fy 2025:
    #   Q1 = 10, Q2 = 22 - 10 = 12, Q3 = 36 - 22 = 14, Q4 = 50 - 36 = 14,
    # each still sourced to the FY2024 filing that first reported it.
    expected = {
        1: (10.0, "0000950170-23-000101"),
        2: (12.0, "0000950170-24-000102"),
        3: (14.0, "0000950170-24-000103"),
        4: (14.0, "0000950170-24-000104"),
    }
    for quarter, (cash, accn) in expected.items():
        row = rows[(2024, quarter)]
        assert row["cash_capex_usd_bn"] == pytest.approx(cash)
        assert row["accn"] == accn
        # Finance leases have no FY2024 quarters (only the annual 10): the headline is a
        # visible gap, not an understated number, and tags name only what was used.
        assert math.isnan(row["headline_capex_usd_bn"])
        assert row["tags"] == PPE


def test_microsoft_annual_totals(companies: Companies) -> None:
    df = sec.annual_capex(companies[MSFT])
    assert list(df.columns) == sec.ANNUAL_CAPEX_COLUMNS
    rows = {r["fiscal_year"]: r for r in df.to_dict("records")}
    # FY2024: 50 cash + 10 finance leases = 60; FY2025: 66 + 18 = 84.
    assert rows[2024]["cash_capex_usd_bn"] == 50.0
    assert rows[2024]["headline_capex_usd_bn"] == 60.0
    assert rows[2025]["headline_capex_usd_bn"] == 84.0
    assert (rows[2025]["start"], rows[2025]["end"]) == (date(2024, 7, 1), date(2025, 6, 30))
    assert rows[2024]["accn"] == "0000950170-25-000204"  # finance leases: 10-K FY2025 only
    assert sorted(rows) == [2024, 2025]  # FY2026 has no 10-K yet


def test_oracle_may_year_with_a_restated_half_year(companies: Companies) -> None:
    rows = _by_quarter(sec.quarterly_capex(companies[ORCL]))
    # FY2025 = June 2024 - May 2025. YTD: Q1 2.3, H1 6.3 restated to 6.5 by the 10-Q/A
    # (filed 2025-04-15), 9M 12.1, FY 21.2.
    #   Q1 = 2.3
    #   Q2 = 6.5 - 2.3 = 4.2   (amended H1; the 10-Q/A is the latest fact used)
    #   Q3 = 12.1 - 6.5 = 5.6  (9M filed 2025-03-11, H1 amended 2025-04-15 -> the 10-Q/A)
    #   Q4 = 21.2 - 12.1 = 9.1 (10-K filed 2025-06-20)
    # Sum 2.3 + 4.2 + 5.6 + 9.1 = 21.2, the 10-K's year.
    amendment = ("0000950170-25-051004", date(2025, 4, 15))
    expected = {
        1: (2.3, ("0000950170-24-104001", date(2024, 9, 10))),
        2: (4.2, amendment),
        3: (5.6, amendment),
        4: (9.1, ("0000950170-25-087005", date(2025, 6, 20))),
    }
    for quarter, (cash, source) in expected.items():
        row = rows[(2025, quarter)]
        assert row["cash_capex_usd_bn"] == pytest.approx(cash)
        assert row["headline_capex_usd_bn"] == pytest.approx(cash)  # default: cash only
        assert (row["accn"], row["filed"]) == source
    q4 = rows[(2025, 4)]
    assert (q4["start"], q4["end"]) == (date(2025, 3, 1), date(2025, 5, 31))
    assert (q4["first_month"], q4["last_month"]) == ("2025-03", "2025-05")
    # FY2024 comes only from comparatives in FY2025 filings (fy 2025 in the JSON):
    #   Q1 1.7, Q2 3.8 - 1.7 = 2.1, Q3 5.2 - 3.8 = 1.4 (9M ends 2024-02-29), Q4 6.9 - 5.2 = 1.7
    for quarter, cash in {1: 1.7, 2: 2.1, 3: 1.4, 4: 1.7}.items():
        assert rows[(2024, quarter)]["cash_capex_usd_bn"] == pytest.approx(cash)
    assert rows[(2024, 3)]["end"] == date(2024, 2, 29)
    assert len(rows) == 8


def test_annual_capex_fills_a_year_without_quarter_detail(companies: Companies) -> None:
    annual = {
        r["fiscal_year"]: r["cash_capex_usd_bn"]
        for _, r in sec.annual_capex(companies[ORCL]).iterrows()
    }
    # FY2023 (June 2022 - May 2023) has only the 10-K comparative: 8.7.
    assert annual == pytest.approx({2023: 8.7, 2024: 6.9, 2025: 21.2})
    quarterly_years = set(sec.quarterly_capex(companies[ORCL])["fiscal_year"])
    assert 2023 not in quarterly_years


def test_amazon_falls_back_to_productive_assets(companies: Companies) -> None:
    # The default definition does not guess at the broader tag...
    empty = sec.quarterly_capex(companies[AMZN], sec.DEFAULT_DEFINITION)
    assert empty.empty and list(empty.columns) == sec.CAPEX_COLUMNS
    # ...Amazon's does. 2024 YTD 14.925 / 32.545 / 55.165 / 82.999:
    #   Q1 14.925, Q2 32.545 - 14.925 = 17.620, Q3 55.165 - 32.545 = 22.620,
    #   Q4 82.999 - 55.165 = 27.834.
    rows = _by_quarter(sec.quarterly_capex(companies[AMZN]))
    for quarter, cash in {1: 14.925, 2: 17.620, 3: 22.620, 4: 27.834}.items():
        row = rows[(2024, quarter)]
        assert row["cash_capex_usd_bn"] == pytest.approx(cash)
        assert row["headline_capex_usd_bn"] == pytest.approx(cash)
        assert row["tags"] == "PaymentsToAcquireProductiveAssets"
    # The 2023 Q1 comparative is a calendar quarter of its own (2023 known from the 10-K).
    assert rows[(2023, 1)]["cash_capex_usd_bn"] == pytest.approx(14.207)


def test_meta_headline_adds_finance_lease_principal_payments(companies: Companies) -> None:
    rows = _by_quarter(sec.quarterly_capex(companies[META]))
    # PP&E YTD 6.400 / 14.573 / 23.774 / 37.256 -> 6.400, 8.173, 9.201, 13.482
    # Principal YTD 0.315 / 0.614 / 1.078 / 1.969 -> 0.315, 0.299, 0.464, 0.891
    # Headline: 6.715, 8.472, 9.665, 14.373 (year 39.225)
    expected = {1: (6.400, 6.715), 2: (8.173, 8.472), 3: (9.201, 9.665), 4: (13.482, 14.373)}
    for quarter, (cash, headline) in expected.items():
        row = rows[(2024, quarter)]
        assert row["cash_capex_usd_bn"] == pytest.approx(cash)
        assert row["headline_capex_usd_bn"] == pytest.approx(headline)
        assert row["tags"] == f"{PPE}+{FLPP}"
    annual = sec.annual_capex(companies[META]).iloc[0]
    assert annual["headline_capex_usd_bn"] == pytest.approx(39.225)


def test_q4_from_the_year_minus_three_reported_quarters() -> None:
    # Only three-month 10-Q facts and the 10-K year: 9M is rebuilt as 1 + 2 + 3 = 6,
    # so Q4 = 10 - 6 = 4.
    doc = _company(
        {
            PPE: [
                _entry("2024-01-01", "2024-03-31", 1_000_000_000, "Q1", "2024-04-20"),
                _entry("2024-04-01", "2024-06-30", 2_000_000_000, "Q2", "2024-07-20"),
                _entry("2024-07-01", "2024-09-30", 3_000_000_000, "Q3", "2024-10-20"),
                _entry("2024-01-01", "2024-12-31", 10_000_000_000, "FY", "2025-02-01", "10-K"),
            ]
        }
    )
    rows = _by_quarter(sec.quarterly_capex(doc))
    assert [rows[(2024, q)]["cash_capex_usd_bn"] for q in (1, 2, 3, 4)] == [1.0, 2.0, 3.0, 4.0]
    assert rows[(2024, 4)]["accn"] == "FY"


def test_a_52_53_week_year_is_named_by_its_nominal_months() -> None:
    # Apple-like: FY2024 = 2023-10-01 .. 2024-09-28 (52 weeks); a 14-week Q1 ending
    # 2023-12-30, YTD H1 ending 2024-03-30.
    doc = _company(
        {
            PPE: [
                _entry("2023-10-01", "2023-12-30", 2_000_000_000, "Q1", "2024-02-02"),
                _entry("2023-10-01", "2024-03-30", 5_000_000_000, "Q2", "2024-05-03"),
                _entry("2023-10-01", "2024-09-28", 9_000_000_000, "FY", "2024-11-01", "10-K"),
            ]
        }
    )
    rows = _by_quarter(sec.quarterly_capex(doc))
    assert sorted(rows) == [(2024, 1), (2024, 2)]  # no 9M: Q3 and Q4 cannot be derived
    assert rows[(2024, 2)]["cash_capex_usd_bn"] == 3.0  # 5 - 2
    assert (rows[(2024, 2)]["first_month"], rows[(2024, 2)]["last_month"]) == (
        "2024-01",
        "2024-03",
    )
    annual = sec.annual_capex(doc).iloc[0]
    assert (annual["fiscal_year"], annual["first_month"], annual["last_month"]) == (
        2024,
        "2023-10",
        "2024-09",
    )


def test_a_stray_half_year_fact_does_not_split_a_fiscal_year() -> None:
    # A six-month figure for April - September 2024 is no year-to-date: the 10-K year
    # already covers its start, so it neither starts a year nor feeds a quarter.
    # Q1 1, Q2 = 3 - 1 = 2, Q3 = 6 - 3 = 3, Q4 = 10 - 6 = 4.
    doc = _company(
        {
            PPE: [
                _entry("2024-01-01", "2024-03-31", 1_000_000_000, "Q1", "2024-04-20"),
                _entry("2024-01-01", "2024-06-30", 3_000_000_000, "Q2", "2024-07-20"),
                _entry("2024-04-01", "2024-09-30", 7_000_000_000, "X", "2024-10-20"),
                _entry("2024-01-01", "2024-09-30", 6_000_000_000, "Q3", "2024-10-20"),
                _entry("2024-01-01", "2024-12-31", 10_000_000_000, "FY", "2025-02-01", "10-K"),
            ]
        }
    )
    facts = sec.duration_facts(doc, PPE)
    assert [fy.start for fy in sec.fiscal_years(facts)] == [date(2024, 1, 1), date(2025, 1, 1)]
    rows = _by_quarter(sec.quarterly_capex(doc))
    assert [rows[(2024, q)]["cash_capex_usd_bn"] for q in (1, 2, 3, 4)] == [1.0, 2.0, 3.0, 4.0]


def test_a_company_without_facts_gives_empty_tables() -> None:
    doc = {"cik": 1, "entityName": "EMPTY", "facts": {}}
    assert sec.quarterly_capex(doc).empty
    assert sec.annual_capex(doc).empty
    assert list(sec.quarterly_metric(doc, sec.REVENUE_TAGS).columns) == sec.METRIC_COLUMNS


# ------------------------------------------------------------------- other metrics


def test_revenue_prefers_reported_three_month_figures(companies: Companies) -> None:
    df = sec.quarterly_metric(companies[MSFT], sec.REVENUE_TAGS)
    assert list(df.columns) == sec.METRIC_COLUMNS
    rows = _by_quarter(df)
    # FY2025: Q1 65, Q2 69, Q3 70 reported as three-month facts; Q4 = 280 - 204 = 76.
    for quarter, value in {1: 65.0, 2: 69.0, 3: 70.0, 4: 76.0}.items():
        assert rows[(2025, quarter)]["value_usd_bn"] == pytest.approx(value)
        assert rows[(2025, quarter)]["tag"] == sec.REVENUE_TAGS[0]
    # FY2024 from comparatives: Q1 56, Q2 62; no 9M FY2024, so no Q3 and no Q4.
    assert rows[(2024, 1)]["value_usd_bn"] == 56.0 and rows[(2024, 2)]["value_usd_bn"] == 62.0
    assert (2024, 3) not in rows and (2024, 4) not in rows
    assert rows[(2026, 1)]["value_usd_bn"] == 77.0


def test_a_reported_quarter_wins_over_a_disagreeing_difference() -> None:
    # H1 - Q1 = 25 - 10 = 15, but the reported three-month Q2 says 14: 14 is used.
    doc = _company(
        {
            "Revenues": [
                _entry("2024-01-01", "2024-03-31", 10_000_000_000, "Q1", "2024-04-20"),
                _entry("2024-04-01", "2024-06-30", 14_000_000_000, "Q2", "2024-07-20"),
                _entry("2024-01-01", "2024-06-30", 25_000_000_000, "Q2", "2024-07-20"),
            ]
        }
    )
    quarters, _ = sec.derive_periods(sec.duration_facts(doc, "Revenues"))
    q2 = next(q for q in quarters if q.fiscal_quarter == 2)
    assert (q2.value, q2.derived) == (14_000_000_000, False)


def test_revenue_falls_back_to_revenues(companies: Companies) -> None:
    rows = _by_quarter(sec.quarterly_metric(companies[ORCL], sec.REVENUE_TAGS))
    # Oracle FY2025: 13.307, 14.059, 14.130 reported; Q4 = 57.399 - 41.496 = 15.903.
    for quarter, value in {1: 13.307, 2: 14.059, 3: 14.130, 4: 15.903}.items():
        assert rows[(2025, quarter)]["value_usd_bn"] == pytest.approx(value)
        assert rows[(2025, quarter)]["tag"] == "Revenues"
    annual = sec.annual_metric(companies[ORCL], sec.REVENUE_TAGS)
    assert annual["value_usd_bn"].tolist() == pytest.approx([57.399])


def test_operating_cash_flow_is_differenced_from_ytd(companies: Companies) -> None:
    rows = _by_quarter(sec.quarterly_metric(companies[MSFT], sec.OPERATING_CASH_FLOW_TAGS))
    # YTD 34 / 56 / 93 / 136 -> 34, 56 - 34 = 22, 93 - 56 = 37, 136 - 93 = 43.
    assert [rows[(2025, q)]["value_usd_bn"] for q in (1, 2, 3, 4)] == [34.0, 22.0, 37.0, 43.0]
    assert rows[(2025, 4)]["accn"] == "0000950170-25-000204"


def test_derived_quarters_record_every_fact_they_used(companies: Companies) -> None:
    facts = sec.duration_facts(companies[ORCL], PPE)
    quarters, _ = sec.derive_periods(facts)
    q3 = next(q for q in quarters if (q.fiscal_year, q.fiscal_quarter) == (2025, 3))
    # Q3 = 9M (10-Q, 2025-03-11) - H1 (10-Q/A, 2025-04-15)
    assert {(f.accn, f.filed) for f in q3.sources} == {
        ("0000950170-25-036003", date(2025, 3, 11)),
        ("0000950170-25-051004", date(2025, 4, 15)),
    }
    assert q3.derived and q3.accn == "0000950170-25-051004"


# ------------------------------------------------------------------------ fetcher


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakeResponse:
    def __init__(self, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.body = body
        self.headers = headers or {}
        self.closed = False

    def read(self) -> bytes:
        return self.body

    def close(self) -> None:
        self.closed = True


class FakeOpener:
    """Plays back scripted outcomes (a response or an exception) and records requests."""

    def __init__(self, clock: FakeClock, outcomes: list[Any]) -> None:
        self.clock = clock
        self.outcomes = list(outcomes)
        self.requests: list[urllib.request.Request] = []
        self.times: list[float] = []

    def __call__(self, request: urllib.request.Request, timeout: float) -> FakeResponse:
        self.requests.append(request)
        self.times.append(self.clock())
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def _http_error(code: int, reason: str, retry_after: str | None = None) -> urllib.error.HTTPError:
    headers = email.message.Message()
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return urllib.error.HTTPError("https://data.sec.gov/x", code, reason, headers, None)


def _ok(doc: dict[str, Any] | None = None, gzipped: bool = True) -> FakeResponse:
    body = json.dumps(doc or {"cik": MSFT, "entityName": "MICROSOFT CORPORATION", "facts": {}})
    raw = body.encode()
    if gzipped:
        return FakeResponse(gzip.compress(raw), {"Content-Encoding": "gzip"})
    return FakeResponse(raw)


def _session(outcomes: list[Any]) -> tuple[SecSession, FakeOpener, FakeClock]:
    clock = FakeClock()
    opener = FakeOpener(clock, outcomes)
    limiter = sec.RateLimiter(10, clock=clock, sleep=clock.sleep)
    return SecSession(opener=opener, limiter=limiter, sleep=clock.sleep), opener, clock


@pytest.mark.parametrize("agent", [None, "", "   "])
def test_fetch_refuses_without_a_user_agent(agent: str | None) -> None:
    session, opener, _ = _session([_ok()])
    with pytest.raises(SecError, match="SEC requires a declared User-Agent"):
        sec.fetch_companyfacts(MSFT, agent, session)  # type: ignore[arg-type]
    assert opener.requests == []


def test_fetch_refuses_a_user_agent_without_a_contact() -> None:
    session, opener, _ = _session([_ok()])
    with pytest.raises(SecError, match="has no contact e-mail"):
        sec.fetch_companyfacts(MSFT, "capex-tracker/0.1", session)
    assert opener.requests == []


def test_fetch_sends_declared_headers_and_gunzips() -> None:
    session, opener, _ = _session([_ok()])
    data = sec.fetch_companyfacts(MSFT, AGENT, session)
    assert data["entityName"] == "MICROSOFT CORPORATION"
    (request,) = opener.requests
    assert request.full_url == "https://data.sec.gov/api/xbrl/companyfacts/CIK0000789019.json"
    assert request.get_header("User-agent") == AGENT
    assert request.get_header("Accept-encoding") == "gzip"


def test_fetch_accepts_an_uncompressed_body() -> None:
    session, _, _ = _session([_ok(gzipped=False)])
    assert sec.fetch_companyfacts(MSFT, AGENT, session)["cik"] == MSFT


def test_fetch_retries_429_and_503_with_exponential_backoff() -> None:
    outcomes = [_http_error(429, "Too Many Requests"), _http_error(503, "Unavailable"), _ok()]
    session, opener, clock = _session(outcomes)
    assert sec.fetch_companyfacts(MSFT, AGENT, session)["cik"] == MSFT
    assert len(opener.requests) == 3
    assert clock.sleeps == [1.0, 2.0]  # backoff 1 s, then 2 s; the limiter never had to wait


def test_fetch_gives_up_after_four_tries() -> None:
    session, opener, clock = _session([_http_error(503, "Service Unavailable")] * 4)
    with pytest.raises(SecError) as info:
        sec.fetch_companyfacts(MSFT, AGENT, session)
    assert str(info.value) == (
        "could not fetch SEC companyfacts for CIK 0000789019: HTTP 503 Service Unavailable "
        "after 4 tries; check the network or use --from-dir"
    )
    assert len(opener.requests) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_fetch_honours_retry_after() -> None:
    session, _, clock = _session([_http_error(429, "Too Many Requests", "7"), _ok()])
    sec.fetch_companyfacts(MSFT, AGENT, session)
    assert clock.sleeps == [7.0]


def test_fetch_does_not_retry_other_http_errors() -> None:
    session, opener, _ = _session([_http_error(404, "Not Found"), _ok()])
    with pytest.raises(SecError) as info:
        sec.fetch_companyfacts(MSFT, AGENT, session)
    assert str(info.value) == (
        "could not fetch SEC companyfacts for CIK 0000789019: HTTP 404 Not Found; "
        "check the network or use --from-dir"
    )
    assert len(opener.requests) == 1


def test_fetch_reports_network_errors() -> None:
    error = urllib.error.URLError("Name or service not known")
    session, _, _ = _session([error])
    with pytest.raises(SecError) as info:
        sec.fetch_companyfacts(MSFT, AGENT, session)
    assert str(info.value) == (
        "could not fetch SEC companyfacts for CIK 0000789019: Name or service not known; "
        "check the network or use --from-dir"
    )


def test_fetch_reports_a_truncated_response() -> None:
    class Truncated(FakeResponse):
        def read(self) -> bytes:
            raise http.client.IncompleteRead(b"{")

    session, _, _ = _session([Truncated(b"")])
    with pytest.raises(SecError, match="0000789019: IncompleteRead"):
        sec.fetch_companyfacts(MSFT, AGENT, session)


def test_fetch_refuses_a_body_that_is_not_companyfacts() -> None:
    session, _, _ = _session([FakeResponse(b"<html>maintenance</html>")])
    with pytest.raises(SecError, match="0000789019: the response is not companyfacts JSON; check"):
        sec.fetch_companyfacts(MSFT, AGENT, session)


def test_rate_limiter_spaces_calls_a_tenth_of_a_second_apart() -> None:
    clock = FakeClock()
    limiter = sec.RateLimiter(10, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(5):
        limiter.wait()
        times.append(clock.now)
    assert times == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    clock.now += 5.0  # idle long enough: the next call goes straight through
    sleeps_before = len(clock.sleeps)
    limiter.wait()
    assert len(clock.sleeps) == sleeps_before
    with pytest.raises(ValueError):
        sec.RateLimiter(0)


def test_a_shared_session_keeps_ten_requests_per_second_across_companies() -> None:
    docs = [{"cik": cik, "entityName": str(cik), "facts": {}} for cik in (MSFT, ORCL, AMZN)]
    session, opener, _ = _session([_ok(doc) for doc in docs])
    for doc in docs:
        assert sec.fetch_companyfacts(doc["cik"], AGENT, session)["cik"] == doc["cik"]
    gaps = [b - a for a, b in zip(opener.times, opener.times[1:], strict=False)]
    assert gaps == pytest.approx([0.1, 0.1])
