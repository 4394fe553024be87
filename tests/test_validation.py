"""Every rule of tracker.validation, with the message an analyst sees."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tests.helpers import NO_COMPANIES, fx_table, rows
from tracker.validation import COMPANY_COLUMNS, validate_frame

TODAY = date(2026, 11, 25)
FX = fx_table()  # CNY 7.6 in 2025 (tests/helpers.py)


def check(*overrides, companies=NO_COMPANIES):
    return validate_frame(rows(*overrides), companies, FX, TODAY)


def only_error(result, field):
    assert result.valid.empty, result.valid
    assert field in set(result.errors["field"]), result.errors
    return " ".join(result.errors.loc[result.errors["field"] == field, "message"])


def stored(**company) -> pd.DataFrame:
    base = {
        "name": "Meta",
        "name_key": "meta",
        "country": "US",
        "fiscal_year_end_month": 12,
        "ticker": "META",
        "cik": "1326801",
        "venture_partners": "",
    }
    return pd.DataFrame([{**base, **company}], columns=list(COMPANY_COLUMNS))


def test_good_row_passes_typed_with_defaults():
    result = check({})
    assert result.ok
    row = result.valid.iloc[0]
    assert (row["amount_low"], row["amount_high"], row["period"]) == (60.0, 65.0, "2025")
    assert row["period_start"] == date(2025, 1, 1) and row["period_end"] == date(2025, 12, 31)
    # Blank choices take the schema's defaults.
    assert (row["qualifier"], row["source_type"], row["evidence"]) == (
        "exact",
        "company_release",
        "company",
    )


def test_choices_are_case_insensitive_and_blank_high_equals_low():
    row = check({"qualifier": "AT_LEAST", "amount_high": ""}).valid.iloc[0]
    assert (row["qualifier"], row["amount_high"]) == ("at_least", 60.0)


@pytest.mark.parametrize(
    ("override", "field", "fragment"),
    [
        ({"company": ""}, "company", "company is required"),
        ({"company": "   "}, "company", "company is required"),
        ({"amount_low": "-5"}, "amount_low", "greater than zero"),
        ({"amount_low": "0", "amount_high": ""}, "amount_low", "greater than zero"),
        ({"amount_low": "abc"}, "amount_low", "is not a number"),
        ({"amount_low": "20000", "amount_high": ""}, "amount_low", "over USD 10 trillion"),
        ({"amount_low": "5", "amount_high": "20000"}, "amount_high", "over USD 10 trillion"),
        # CNY 80,000bn at 7.6 per USD = USD 10,526bn.
        (
            {"amount_low": "80000", "amount_high": "", "currency": "CNY"},
            "amount_low",
            "over USD 10 trillion",
        ),
        ({"amount_low": "70", "amount_high": "60"}, "amount_high", "below the low amount"),
        ({"period": "2027-2025"}, "period", "ends before it starts"),
        ({"period": "soon"}, "period", "not understood"),
        ({"period": "1900"}, "period", "outside 1990-2100"),
        ({"currency": "XYZ"}, "currency", "unknown currency 'XYZ'"),
        ({"announced_on": "29/01/2025"}, "announced_on", "use YYYY-MM-DD"),
        ({"announced_on": "2025-02-30"}, "announced_on", "is not a date"),
        ({"announced_on": "2027-01-01"}, "announced_on", "in the future"),
        ({"announced_on": "1900-01-01"}, "announced_on", "before 1990"),
        ({"source_url": ""}, "source_url", "source url is required"),
        ({"source_url": "www.example.com"}, "source_url", "not a plain http(s) address"),
        ({"source_url": "javascript:alert(1)"}, "source_url", "not a plain http(s) address"),
        ({"source_url": "https://google.com@evil.example/login"}, "source_url", "no user name"),
        ({"kind": "rumour"}, "kind", "kind must be one of actual, guidance, pledge"),
        ({"scope": "everything"}, "scope", "scope must be one of"),
        ({"qualifier": "roughly"}, "qualifier", "qualifier must be one of"),
        ({"evidence": "rumour"}, "evidence", "evidence must be one of company, press_report"),
        ({"country": "USA"}, "country", "two-letter ISO code"),
        ({"country": ""}, "country", "required for a company not yet in the database"),
        ({"fy_end_month": "13"}, "fy_end_month", "1-12"),
        ({"cik": "12ab"}, "cik", "CIK must be digits"),
        ({"supersedes": "x"}, "supersedes", "whole announcement number"),
        ({"id": "3", "supersedes": "3"}, "supersedes", "cannot supersede itself"),
        ({"notes": "x" * 2001}, "notes", "longer than 2000"),
        ({"notes": "bell\x07"}, "notes", "contains control characters"),
        ({"company": "Evil\x1b[31mCo"}, "company", "contains control characters"),
    ],
)
def test_bad_input_gets_a_clear_message(override, field, fragment):
    assert fragment in only_error(check(override), field)


def test_tabs_and_newlines_in_notes_are_not_control_characters():
    assert check({"notes": "line one\nline two\twith a tab"}).ok


def test_errors_point_at_file_lines_and_keep_good_rows_apart():
    result = check({}, {"amount_low": "-1", "announced_on": "2025-02-01"}, {"period": "2026"})
    assert set(result.errors["line"]) == {3}
    assert list(result.valid["line"]) == [2, 4]


def test_duplicate_rows_inside_a_file_are_refused_pointing_at_the_first():
    result = check({}, {"notes": "same figure again"})
    assert list(result.valid["line"]) == [2]
    assert list(result.errors["line"]) == [3]
    assert "duplicate of line 2" in result.errors.iloc[0]["message"]


def test_repeated_id_in_a_file_is_refused():
    result = check({"id": "7"}, {"id": "7", "period": "2026"})
    assert list(result.errors["line"]) == [3]
    assert "appears on an earlier line" in result.errors.iloc[0]["message"]


def test_stored_company_spelling_and_fiscal_year_are_used():
    companies = stored(
        name="Microsoft", name_key="microsoft", fiscal_year_end_month=6, ticker="MSFT", cik="789019"
    )
    result = check(
        {
            "company": "ＭＩＣＲＯＳＯＦＴ ",
            "country": "",
            "fy_end_month": "",
            "ticker": "",
            "period": "FY2025",
        },
        companies=companies,
    )
    assert result.ok, result.errors
    row = result.valid.iloc[0]
    assert (row["company"], row["fy_end_month"], row["ticker"], row["cik"]) == (
        "Microsoft",
        6,
        "MSFT",
        "789019",
    )
    assert row["period_start"] == date(2024, 7, 1)  # FY2025 of a June year end


def test_conflicting_company_attributes_are_refused():
    result = check({"country": "IE", "fy_end_month": "6"}, companies=stored())
    assert "country IE conflicts with the stored US" in only_error(result, "country")
    assert "conflicts with the stored company" in " ".join(result.errors["message"])


def test_one_new_company_with_two_countries_in_a_file_is_refused():
    result = check({"company": "Newco"}, {"company": "NEWCO", "country": "CN", "period": "2026"})
    assert set(result.errors["field"]) == {"company"}
    assert "different countries" in result.errors.iloc[0]["message"]


def test_quotes_and_sql_keywords_are_plain_text():
    result = check({"company": "Robert'); DROP TABLE company;--", "notes": 'say "hi"'})
    assert result.ok
    assert result.valid.iloc[0]["company"] == "Robert'); DROP TABLE company;--"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://openai.com/index/announcing-the-stargate-project/", True),
        ("http://x.example/z?q=1#f", True),
        ("https://ir.example.com:8443/q4?cid=A%7CB", True),
        ("https://x.example/a@b", True),  # '@' in the path is not user-info
        ("www.example.com", False),
        ("https://localhost", False),
        ("ftp://example.com/file", False),
        ("https://exa mple.com", False),
        ("https://example.com/a b", False),
        ("https://user:pw@example.com/", False),
        ("https://google.com@evil.example/login", False),
    ],
)
def test_source_url_rule(url, ok):
    assert check({"source_url": url}).ok is ok
