"""Validate announcements in bulk: one vectorized pass for a CSV file or a form.

Every rule runs column-wise over a DataFrame of raw strings and yields
``(line, field, message)`` rows, so a 100k-row import costs a handful of pandas
operations and the dashboard form shows the same message next to the same field that
the CLI prints for a file. Nothing here touches the database: the known companies are
passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from tracker.fx import FxTable
from tracker.models import Kind, Scope
from tracker.periods import PeriodError, month_starts, parse_period

REQUIRED_COLUMNS = (
    "company",
    "kind",
    "scope",
    "period",
    "amount_low",
    "currency",
    "announced_on",
    "source_url",
)
OPTIONAL_COLUMNS = ("ticker", "country", "fy_end_month", "amount_high", "notes")
ALL_COLUMNS = (
    "company",
    "ticker",
    "country",
    "fy_end_month",
    "kind",
    "scope",
    "period",
    "amount_low",
    "amount_high",
    "currency",
    "announced_on",
    "source_url",
    "notes",
)
MAX_USD_BN = 10_000.0  # USD 10 trillion: above any real announcement, catches unit slips
MAX_TEXT = 2000
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass
class ValidationResult:
    """Rows that passed (typed, canonical) and one row per problem found."""

    valid: pd.DataFrame
    errors: pd.DataFrame  # columns: line, field, message

    @property
    def ok(self) -> bool:
        return self.errors.empty

    def messages_by_field(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for field, message in zip(self.errors["field"], self.errors["message"], strict=True):
            out.setdefault(field, []).append(message)
        return out


class _Errors:
    def __init__(self, lines: pd.Series):
        self._lines = lines
        self._parts: list[pd.DataFrame] = []

    def add(self, mask: pd.Series | np.ndarray, field: str, message: str | pd.Series) -> None:
        mask = pd.Series(mask, index=self._lines.index).fillna(False).astype(bool)
        if not mask.any():
            return
        msgs = message[mask] if isinstance(message, pd.Series) else message
        self._parts.append(
            pd.DataFrame({"line": self._lines[mask], "field": field, "message": msgs})
        )

    def frame(self) -> pd.DataFrame:
        if not self._parts:
            return pd.DataFrame({"line": pd.Series(dtype=int), "field": [], "message": []})
        return pd.concat(self._parts, ignore_index=True).sort_values("line", kind="stable")


def _text(raw: pd.DataFrame, column: str) -> pd.Series:
    if column not in raw.columns:
        return pd.Series("", index=raw.index, dtype=object)
    return raw[column].fillna("").astype(str).str.strip()


# scheme, then a host with a dot and no blanks, then anything without blanks.
_URL = re.compile(r"^https?://[^\s/?#@]*@?[^\s/?#.]+(\.[^\s/?#.]+)+(:\d+)?([/?#]\S*)?$")


def _valid_urls(urls: pd.Series) -> pd.Series:
    """http(s) addresses with a dotted host: vectorized, 100k rows in milliseconds."""
    return urls.str.match(_URL, na=False)


def validate_frame(
    raw: pd.DataFrame,
    companies: pd.DataFrame,
    fx: FxTable,
    today: date | None = None,
    first_line: int = 2,
) -> ValidationResult:
    """Check raw announcement rows (strings, as read from CSV or a form).

    ``companies`` has columns name, country, fiscal_year_end_month, ticker for the
    companies already stored. ``first_line`` is the file line of the first data row
    (2 for a CSV with a header), so messages point at the line an analyst sees.
    """
    today = today or date.today()
    raw = raw.reset_index(drop=True)
    lines = pd.Series(np.arange(len(raw)) + first_line, index=raw.index)
    err = _Errors(lines)

    # Company: match stored companies case-insensitively and keep their spelling.
    company = _text(raw, "company")
    err.add(company == "", "company", "company is required")
    err.add(company.str.len() > 120, "company", "company name is longer than 120 characters")
    known = (
        companies.assign(key=companies["name"].str.casefold())
        .drop_duplicates("key")
        .set_index("key")
    )
    key = company.str.casefold()
    exists = key.isin(known.index)
    stored = known.reindex(key)
    stored.index = raw.index
    # A new company keeps the first spelling it has in the batch ("NewCo", then "newco").
    first_spelling = company.groupby(key).transform("first")
    canonical_company = first_spelling.where(~exists, stored["name"])

    country = _text(raw, "country").str.upper()
    bad_country = (country != "") & ~country.str.match(_COUNTRY)
    err.add(bad_country, "country", "country must be a two-letter ISO code such as US or CN")
    err.add(
        ~exists & (country == "") & (company != ""),
        "country",
        "country is required for a company not yet in the database",
    )
    conflict = exists & (country != "") & (country != stored["country"].fillna(""))
    err.add(
        conflict,
        "country",
        "country " + country + " conflicts with the stored " + stored["country"].fillna(""),
    )
    country = country.where(~exists, stored["country"])

    fy_text = _text(raw, "fy_end_month")
    fy_num = pd.to_numeric(fy_text.where(fy_text != ""), errors="coerce")
    bad_fy = (fy_text != "") & ~(fy_num.between(1, 12) & (fy_num % 1 == 0))
    err.add(bad_fy, "fy_end_month", "fiscal-year end month must be a whole number 1-12")
    stored_fy = pd.to_numeric(stored["fiscal_year_end_month"], errors="coerce")
    err.add(
        exists & (fy_text != "") & ~bad_fy & (fy_num != stored_fy),
        "fy_end_month",
        "fiscal-year end month conflicts with the stored company",
    )
    fy = fy_num.where(~bad_fy).fillna(12).where(~exists, stored_fy).astype(int)

    ticker = _text(raw, "ticker")
    ticker = ticker.where(~exists | (ticker != ""), stored["ticker"].fillna(""))
    err.add(ticker.str.len() > 20, "ticker", "ticker is longer than 20 characters")

    # Vocabularies.
    kind = _text(raw, "kind").str.lower()
    kinds = [k.value for k in Kind]
    err.add(~kind.isin(kinds), "kind", "kind must be one of " + ", ".join(kinds))
    scope = _text(raw, "scope").str.lower()
    scopes = [s.value for s in Scope]
    err.add(~scope.isin(scopes), "scope", "scope must be one of " + ", ".join(scopes))

    # Amounts, in billions of the announced currency.
    low_text = _text(raw, "amount_low")
    low = pd.to_numeric(low_text, errors="coerce").astype(float)
    err.add(low_text == "", "amount_low", "amount is required (billions, e.g. 62.5)")
    err.add(
        (low_text != "") & low.isna(),
        "amount_low",
        "amount '" + low_text + "' is not a number (use e.g. 62.5, in billions)",
    )
    err.add(low <= 0, "amount_low", "amount must be greater than zero")
    high_text = _text(raw, "amount_high")
    high = pd.to_numeric(high_text.where(high_text != ""), errors="coerce").astype(float)
    err.add(
        (high_text != "") & high.isna(),
        "amount_high",
        "high amount '" + high_text + "' is not a number",
    )
    high = high.where(high_text != "", low)
    err.add(
        high < low,
        "amount_high",
        "high amount " + high.astype(str) + " is below the low amount " + low.astype(str),
    )
    for series in (low, high):
        err.add(~np.isfinite(series.fillna(0)), "amount_low", "amount must be finite")

    currency = _text(raw, "currency").str.upper()
    bad_currency = ~currency.isin(fx.currencies)
    err.add(
        bad_currency,
        "currency",
        "unknown currency '"
        + currency
        + "'; the FX table knows "
        + ", ".join(sorted(fx.currencies)),
    )

    announced_text = _text(raw, "announced_on")
    announced = pd.to_datetime(announced_text, format="%Y-%m-%d", errors="coerce")
    err.add(
        announced.isna(),
        "announced_on",
        "announcement date '" + announced_text + "' is not a date (use YYYY-MM-DD)",
    )
    err.add(
        announced > pd.Timestamp(today),
        "announced_on",
        "announcement date is in the future",
    )

    # Ceiling in USD, at the rate of the announcement year.
    years = announced.dt.year.fillna(today.year).astype(int)
    usd_high = high / fx.rates_for(currency, years)
    too_big = ~bad_currency & (usd_high > MAX_USD_BN)
    ceiling = "amount is over USD 10 trillion; amounts are in billions"
    # Point at the field that holds the figure: the high end of a range, else the amount.
    err.add(too_big & (high_text != ""), "amount_high", ceiling)
    err.add(too_big & (high_text == ""), "amount_low", ceiling)

    # Periods: parse each distinct (label, fiscal-year end) once, then look up.
    period_text = _text(raw, "period")
    distinct = pd.DataFrame({"label": period_text, "fy": fy}).drop_duplicates()
    parsed = []
    for label, fy_end in zip(distinct["label"], distinct["fy"], strict=True):
        try:
            p = parse_period(label, int(fy_end))
            parsed.append((label, fy_end, p.first_month, p.last_month, p.label, ""))
        except PeriodError as exc:
            parsed.append((label, fy_end, np.nan, np.nan, label, str(exc)))
    table = pd.DataFrame(
        parsed, columns=["label", "fy", "first", "last", "canonical", "msg"]
    ).set_index(["label", "fy"])
    looked_up = table.reindex(pd.MultiIndex.from_arrays([period_text, fy]))
    first = pd.Series(looked_up["first"].to_numpy(), index=raw.index)
    last = pd.Series(looked_up["last"].to_numpy(), index=raw.index)
    canonical_period = pd.Series(looked_up["canonical"].to_numpy(), index=raw.index)
    period_msg = pd.Series(looked_up["msg"].to_numpy(), index=raw.index)
    err.add(period_msg != "", "period", period_msg)

    source = _text(raw, "source_url")
    err.add(source == "", "source_url", "source URL is required")
    err.add(
        (source != "") & ~_valid_urls(source),
        "source_url",
        "source URL '" + source + "' is not a valid http(s) address",
    )
    err.add(source.str.len() > MAX_TEXT, "source_url", "source URL is too long")
    notes = _text(raw, "notes")
    err.add(notes.str.len() > MAX_TEXT, "notes", f"notes are longer than {MAX_TEXT} characters")

    valid = pd.DataFrame(
        {
            "line": lines,
            "company": canonical_company,
            "company_exists": exists,
            "ticker": ticker,
            "country": country,
            "fy_end_month": fy,
            "kind": kind,
            "scope": scope,
            "amount_low": low,
            "amount_high": high,
            "currency": currency,
            "period": canonical_period,
            "first_month": first,
            "last_month": last,
            "announced_on": announced.dt.date,
            "source_url": source,
            "notes": notes,
        }
    )

    # Conflicting definitions of one new company inside the same file.
    new = valid[~exists & (company != "")]
    if not new.empty:
        per_company = new.groupby(new["company"].str.casefold())
        clash = per_company["country"].transform("nunique").gt(1) | per_company[
            "fy_end_month"
        ].transform("nunique").gt(1)
        err.add(
            valid.index.isin(new.index[clash.to_numpy()]),
            "company",
            "this new company is given different countries or fiscal-year ends in the file",
        )

    errors = err.frame()
    bad_lines = set(errors["line"])
    ok = valid[~valid["line"].isin(bad_lines)].copy()

    # Duplicates inside the batch (the database check is the repository's).
    dup_key = duplicate_key(ok)
    first_line_of = ok.groupby(dup_key)["line"].transform("first")
    dup = dup_key.duplicated()
    if dup.any():
        dup_errors = pd.DataFrame(
            {
                "line": ok["line"][dup],
                "field": "company",
                "message": "duplicate of line "
                + first_line_of[dup].astype(str)
                + " (same company, amount, period and date)",
            }
        )
        errors = pd.concat([errors, dup_errors], ignore_index=True).sort_values(
            "line", kind="stable"
        )
        ok = ok[~dup]

    first_months = ok["first_month"].fillna(0).astype(np.int64).to_numpy()
    last_months = ok["last_month"].fillna(0).astype(np.int64).to_numpy()
    ok["first_month"], ok["last_month"] = first_months, last_months
    ok["period_start"] = month_starts(first_months).date
    ok["period_end"] = (month_starts(last_months + 1) - pd.Timedelta(days=1)).date
    return ValidationResult(ok.reset_index(drop=True), errors.reset_index(drop=True))


def duplicate_key(frame: pd.DataFrame) -> pd.Series:
    """What makes two announcements the same: company, amount, currency, period, date."""
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    days = pd.to_datetime(frame["announced_on"]).to_numpy().astype("datetime64[D]")
    parts = [
        frame["company"].astype(str).str.casefold(),
        frame["period"].astype(str),
        pd.Series(days.astype(np.int64).astype(str), index=frame.index),
        pd.Series(np.char.mod("%.6g", frame["amount_low"].to_numpy(float)), index=frame.index),
        pd.Series(np.char.mod("%.6g", frame["amount_high"].to_numpy(float)), index=frame.index),
        frame["currency"].astype(str),
    ]
    key = parts[0]
    for part in parts[1:]:
        key = key + "|" + part
    return key
