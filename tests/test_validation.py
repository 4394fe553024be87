"""Every rule of tracker.validation, with the message an analyst sees."""

from datetime import date

import pandas as pd
import pytest

from tests.helpers import rows
from tracker.fx import default_fx
from tracker.validation import validate_frame

NO_COMPANIES = pd.DataFrame(columns=["name", "country", "fiscal_year_end_month", "ticker"])
TODAY = date(2026, 11, 25)


def check(*overrides, companies=NO_COMPANIES):
    return validate_frame(rows(*overrides), companies, default_fx(), TODAY)


def only_error(result, field):
    assert result.valid.empty, result.valid
    assert field in set(result.errors["field"]), result.errors
    return " ".join(result.errors.loc[result.errors["field"] == field, "message"])


def test_good_row_passes_and_is_typed():
    result = check({})
    assert result.ok
    row = result.valid.iloc[0]
    assert (row["amount_low"], row["amount_high"], row["period"]) == (60.0, 65.0, "2025")
    assert row["period_start"] == date(2025, 1, 1) and row["period_end"] == date(2025, 12, 31)


@pytest.mark.parametrize(
    ("override", "field", "fragment"),
    [
        ({"company": ""}, "company", "company is required"),
        ({"company": "   "}, "company", "company is required"),
        ({"amount_low": "-5"}, "amount_low", "greater than zero"),
        ({"amount_low": "0", "amount_high": ""}, "amount_low", "greater than zero"),
        ({"amount_low": "abc"}, "amount_low", "is not a number"),
        ({"amount_low": ""}, "amount_low", "amount is required"),
        ({"amount_low": "20000", "amount_high": ""}, "amount_low", "over USD 10 trillion"),
        ({"amount_low": "5", "amount_high": "20000"}, "amount_high", "over USD 10 trillion"),
        (
            {"amount_low": "2000000", "currency": "JPY", "amount_high": ""},
            "amount_low",
            "over USD 10 trillion",
        ),
        ({"amount_low": "70", "amount_high": "60"}, "amount_high", "below the low amount"),
        ({"period": "2027-2025"}, "period", "ends before it starts"),
        ({"period": "soon"}, "period", "not understood"),
        ({"currency": "XYZ"}, "currency", "unknown currency 'XYZ'"),
        ({"announced_on": "29/01/2025"}, "announced_on", "use YYYY-MM-DD"),
        ({"announced_on": "2025-02-30"}, "announced_on", "is not a date"),
        ({"announced_on": "2027-01-01"}, "announced_on", "in the future"),
        ({"source_url": ""}, "source_url", "source URL is required"),
        ({"source_url": "www.example.com"}, "source_url", "not a valid http(s) address"),
        ({"source_url": "javascript:alert(1)"}, "source_url", "not a valid http(s) address"),
        ({"kind": "rumour"}, "kind", "kind must be one of"),
        ({"scope": "everything"}, "scope", "scope must be one of"),
        ({"country": "USA"}, "country", "two-letter ISO code"),
        ({"country": ""}, "country", "required for a company not yet in the database"),
        ({"fy_end_month": "13"}, "fy_end_month", "1-12"),
        ({"notes": "x" * 2001}, "notes", "longer than 2000"),
    ],
)
def test_bad_input_gets_a_clear_message(override, field, fragment):
    assert fragment in only_error(check(override), field)


def test_errors_point_at_file_lines_and_keep_good_rows_apart():
    result = check({}, {"amount_low": "-1", "announced_on": "2025-02-01"}, {"period": "2026"})
    assert set(result.errors["line"]) == {3}
    assert list(result.valid["line"]) == [2, 4]


def test_duplicate_rows_inside_a_file_are_refused_pointing_at_the_first():
    result = check({}, {"notes": "same figure again"})
    assert list(result.valid["line"]) == [2]
    assert list(result.errors["line"]) == [3]
    assert "duplicate of line 2" in result.errors.iloc[0]["message"]


def test_stored_company_spelling_and_fiscal_year_are_used():
    companies = pd.DataFrame(
        [{"name": "Microsoft", "country": "US", "fiscal_year_end_month": 6, "ticker": "MSFT"}]
    )
    result = check(
        {
            "company": "microsoft",
            "country": "",
            "fy_end_month": "",
            "ticker": "",
            "period": "FY2025",
        },
        companies=companies,
    )
    assert result.ok
    row = result.valid.iloc[0]
    assert (row["company"], row["fy_end_month"], row["ticker"]) == ("Microsoft", 6, "MSFT")
    assert row["period_start"] == date(2024, 7, 1)


def test_conflicting_company_attributes_are_refused():
    companies = pd.DataFrame(
        [{"name": "Meta", "country": "US", "fiscal_year_end_month": 12, "ticker": "META"}]
    )
    result = check({"country": "IE", "fy_end_month": "6"}, companies=companies)
    assert "conflicts with the stored US" in only_error(result, "country")
    assert "conflicts" in " ".join(result.errors["message"])


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
        ("www.example.com", False),
        ("https://localhost", False),
        ("ftp://example.com/file", False),
        ("https://exa mple.com", False),
        ("https://example.com/a b", False),
    ],
)
def test_source_url_rule(url, ok):
    assert check({"source_url": url}).ok is ok
