"""Validate announcements in bulk: one vectorized pass for a CSV file or a form.

Each rule is a small function over a :class:`Batch` of raw strings; it reads the columns
it checks, stores their canonical values and reports ``(line, field, message)`` rows. A
100k-row import costs a handful of pandas operations, and the dashboard form shows the
same message next to the same field that the CLI prints for a file. Generic rules
(required, length, control characters, choices) are driven by :mod:`tracker.schema`;
nothing here touches the database: the stored companies are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tracker.fx import FxTable
from tracker.names import clean_names, company_keys, has_control_characters
from tracker.periods import PeriodError, month_indexes, month_starts, parse_period
from tracker.schema import BY_NAME, COLUMNS, DUPLICATE_KEY, NAMES

MAX_USD_BN = 10_000.0  # USD 10 trillion: above any real announcement, catches unit slips
EARLIEST_ANNOUNCEMENT = date(1990, 1, 1)
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CIK = re.compile(r"^\d{1,10}$")
# scheme, then a dotted host with no user-info ("https://good.com@evil.example" is refused),
# an optional port, then anything without blanks.
_URL = re.compile(r"^https?://[^\s/?#@:]+(\.[^\s/?#@:.]+)+(:\d+)?([/?#]\S*)?$")
# Columns of a stored company, as passed in by the caller.
COMPANY_COLUMNS = (
    "name",
    "name_key",
    "country",
    "fiscal_year_end_month",
    "ticker",
    "cik",
    "venture_partners",
)


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
        for name, message in zip(self.errors["field"], self.errors["message"], strict=True):
            out.setdefault(str(name), []).append(str(message))
        return out

    def summary(self, limit: int = 20) -> str:
        """The errors as lines an analyst can act on: ``line 3: amount_low: ...``."""
        rows = [
            f"line {r.line}: {r.field}: {r.message}" for r in self.errors.head(limit).itertuples()
        ]
        if len(self.errors) > limit:
            rows.append(f"... and {len(self.errors) - limit} more")
        return "\n".join(rows)


def empty_errors() -> pd.DataFrame:
    return pd.DataFrame({"line": pd.Series(dtype="int64"), "field": [], "message": []})


# What an error says: one sentence for every row, a sentence per row, or a function
# building the sentences per row, called only when some row is wrong (building "amount
# 'x' is not a number" for every row of a clean 100k file cost 0.4 s).
Message = str | pd.Series | Callable[[], pd.Series]


def error_rows(
    lines: pd.Series, mask: pd.Series | np.ndarray, column: str, message: Message
) -> pd.DataFrame | None:
    """``(line, field, message)`` rows where ``mask`` holds, or None when it never
    does."""
    mask = pd.Series(mask, index=lines.index).fillna(False).astype(bool)
    if not mask.any():
        return None
    text = message() if callable(message) else message
    msgs = text[mask] if isinstance(text, pd.Series) else text
    return pd.DataFrame({"line": lines[mask], "field": column, "message": msgs})


@dataclass
class Batch:
    """Raw rows being validated, the canonical values found so far, and the errors."""

    raw: pd.DataFrame
    lines: pd.Series
    companies: pd.DataFrame
    fx: FxTable
    today: date
    out: dict[str, pd.Series] = field(default_factory=dict)
    _errors: list[pd.DataFrame] = field(default_factory=list)
    _texts: dict[str, pd.Series] = field(default_factory=dict)

    def text(self, column: str) -> pd.Series:
        """The column's cells as stripped text ("" when blank or absent), computed once:
        several rules read the same column."""
        if column not in self._texts:
            if column not in self.raw.columns:
                self._texts[column] = pd.Series("", index=self.raw.index, dtype="str")
            else:
                self._texts[column] = self.raw[column].fillna("").astype(str).str.strip()
        return self._texts[column]

    def error(self, mask: pd.Series | np.ndarray, column: str, message: Message) -> None:
        rows = error_rows(self.lines, mask, column, message)
        if rows is not None:
            self._errors.append(rows)

    def errors(self) -> pd.DataFrame:
        if not self._errors:
            return empty_errors()
        return pd.concat(self._errors, ignore_index=True).sort_values("line", kind="stable")


Rule = Callable[[Batch], None]


def check_text_fields(b: Batch) -> None:
    """Every text column: required, not too long, no control characters."""
    for column in COLUMNS:
        if column.type not in ("text", "code"):
            continue
        text = b.text(column.name)
        if column.required:
            b.error(text == "", column.name, f"{column.label.lower()} is required")
        if column.max_length:
            b.error(
                text.str.len() > column.max_length,
                column.name,
                f"{column.label.lower()} is longer than {column.max_length} characters",
            )
        b.error(
            has_control_characters(text),
            column.name,
            f"{column.label.lower()} contains control characters; remove them",
        )
        b.out[column.name] = text


def check_choices(b: Batch) -> None:
    """Vocabulary columns: one of the enum's values; blank takes the default."""
    for column in COLUMNS:
        if column.choices is None:
            continue
        text = b.text(column.name).str.lower()
        if column.default is not None:
            text = text.where(text != "", column.default)
        allowed = column.choices.values()
        b.error(
            ~text.isin(allowed),
            column.name,
            f"{column.name} must be one of " + ", ".join(allowed),
        )
        b.out[column.name] = text


def _optional_ids(b: Batch, column: str, what: str) -> None:
    text = b.text(column).str.lstrip("#")
    number = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = (text != "") & ~(number.notna() & (number % 1 == 0) & (number > 0))
    b.error(bad, column, f"{what} must be a whole announcement number such as 12")
    b.out[column] = number.where(~bad).astype("Int64")


def check_ids(b: Batch) -> None:
    _optional_ids(b, "id", "id")
    _optional_ids(b, "supersedes", "supersedes")
    _optional_ids(b, "version", "version")
    ids = b.out["id"]
    b.error(
        ids.notna() & ids.eq(b.out["supersedes"]).fillna(False),
        "supersedes",
        "an announcement cannot supersede itself",
    )
    repeated = ids.notna() & ids.duplicated(keep="first")
    b.error(repeated, "id", "this id appears on an earlier line of the file")


def check_company(b: Batch) -> None:
    """Match stored companies by their normalized key and keep the stored spelling; a
    new company keeps the first spelling it has in the batch."""
    name = clean_names(b.out["company"])
    key = company_keys(name)
    stored = b.companies.drop_duplicates("name_key").set_index("name_key")
    exists = key.isin(stored.index) & (key != "")
    match = stored.reindex(key)
    match.index = b.raw.index
    first_spelling = name.groupby(key).transform("first")
    b.out["company"] = first_spelling.where(~exists, match["name"])
    b.out["company_key"] = key
    b.out["company_exists"] = exists

    country = b.out["country"].str.upper()
    b.error(
        (country != "") & ~country.str.match(_COUNTRY),
        "country",
        "country must be a two-letter ISO code such as US or CN",
    )
    b.error(
        ~exists & (country == "") & (name != ""),
        "country",
        "country is required for a company not yet in the database",
    )
    stored_country = match["country"].fillna("")
    b.error(
        exists & (country != "") & (country != stored_country),
        "country",
        lambda: "country " + country + " conflicts with the stored " + stored_country,
    )
    b.out["country"] = country.where(~exists, stored_country)

    fy_text = b.text("fy_end_month")
    fy = pd.to_numeric(fy_text.where(fy_text != ""), errors="coerce")
    bad_fy = (fy_text != "") & ~(fy.between(1, 12) & (fy % 1 == 0))
    b.error(bad_fy, "fy_end_month", "fiscal-year end month must be a whole number 1-12")
    stored_fy = pd.to_numeric(match["fiscal_year_end_month"], errors="coerce")
    b.error(
        exists & (fy_text != "") & ~bad_fy & (fy != stored_fy),
        "fy_end_month",
        "fiscal-year end month conflicts with the stored company",
    )
    b.out["fy_end_month"] = fy.where(~bad_fy).fillna(12).where(~exists, stored_fy).astype(int)

    cik = b.out["cik"].str.lstrip("0")
    b.error((cik != "") & ~cik.str.match(_CIK), "cik", "CIK must be digits, e.g. 789019")
    for column in ("ticker", "cik", "venture_partners"):
        given = cik if column == "cik" else b.out[column]
        b.out[column] = given.where(~exists | (given != ""), match[column].fillna(""))


def check_new_company_consistency(b: Batch) -> None:
    """One new company given two countries or fiscal-year ends in one file is refused:
    which one is right cannot be guessed."""
    new = ~b.out["company_exists"] & (b.out["company"] != "")
    if not new.any():
        return
    frame = pd.DataFrame(
        {"key": b.out["company_key"], "c": b.out["country"], "fy": b.out["fy_end_month"]}
    )[new]
    grouped = frame.groupby("key")
    clash = grouped["c"].transform("nunique").gt(1) | grouped["fy"].transform("nunique").gt(1)
    b.error(
        b.raw.index.isin(frame.index[clash.to_numpy()]),
        "company",
        "this new company is given different countries or fiscal-year ends in the file",
    )


def check_amounts(b: Batch) -> None:
    """Amounts in billions of the announced currency; a blank high end equals the low."""
    low_text = b.text("amount_low")
    low = pd.to_numeric(low_text, errors="coerce").astype(float)
    b.error(
        (low_text != "") & low.isna(),
        "amount_low",
        lambda: "amount '" + low_text + "' is not a number (use e.g. 62.5, in billions)",
    )
    b.error(low <= 0, "amount_low", "amount must be greater than zero")
    high_text = b.text("amount_high")
    high = pd.to_numeric(high_text.where(high_text != ""), errors="coerce").astype(float)
    b.error(
        (high_text != "") & high.isna(),
        "amount_high",
        lambda: "high amount '" + high_text + "' is not a number",
    )
    high = high.where(high_text != "", low)
    b.error(
        high < low,
        "amount_high",
        lambda: "high amount " + high.astype(str) + " is below the low amount " + low.astype(str),
    )
    b.error(
        ~np.isfinite(low.fillna(0)) | ~np.isfinite(high.fillna(0)),
        "amount_low",
        "amount must be finite",
    )
    b.out["amount_low"], b.out["amount_high"] = low, high
    b.out["high_given"] = high_text != ""


def check_currency(b: Batch) -> None:
    currency = b.out["currency"].str.upper()
    known = currency.isin(b.fx.currencies)
    b.error(
        (currency != "") & ~known,
        "currency",
        lambda: (
            "unknown currency '"
            + currency
            + "'; the FX table knows "
            + ", ".join(sorted(b.fx.currencies))
        ),
    )
    b.out["currency"] = currency
    b.out["currency_known"] = known


def check_announced_on(b: Batch) -> None:
    text = b.text("announced_on")
    announced = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    b.error(text == "", "announced_on", "announcement date is required (YYYY-MM-DD)")
    b.error(
        (text != "") & announced.isna(),
        "announced_on",
        lambda: "announcement date '" + text + "' is not a date (use YYYY-MM-DD)",
    )
    b.error(announced > pd.Timestamp(b.today), "announced_on", "announcement date is in the future")
    b.error(
        announced < pd.Timestamp(EARLIEST_ANNOUNCEMENT),
        "announced_on",
        f"announcement date is before {EARLIEST_ANNOUNCEMENT.year}; check the year",
    )
    b.out["announced_on"] = announced


def check_ceiling(b: Batch) -> None:
    """USD 10 trillion ceiling at the announcement month's rate: catches unit slips
    (millions typed as billions). Points at the field that holds the figure."""
    months = month_indexes(b.out["announced_on"].fillna(pd.Timestamp(b.today)))
    # This month usually lies after the FX table's last month: check at the last rate
    # known, so the guard never switches off (it is a typo guard, not a conversion).
    currency = b.out["currency"]
    latest = currency.map({c: b.fx.last_month(c) for c in currency.unique()})
    months = np.fmin(months, latest.to_numpy(dtype=float))
    usd_high = b.out["amount_high"] / b.fx.rates_at(currency, months)
    too_big = b.out["currency_known"] & (usd_high > MAX_USD_BN)
    message = "amount is over USD 10 trillion; amounts are in billions"
    b.error(too_big & b.out["high_given"], "amount_high", message)
    b.error(too_big & ~b.out["high_given"], "amount_low", message)


def check_period(b: Batch) -> None:
    """Parse each distinct (label, fiscal-year end) once, then look the rows up."""
    label = b.out["period"]
    fy = b.out["fy_end_month"]
    distinct = pd.DataFrame({"label": label, "fy": fy}).drop_duplicates()
    parsed: list[tuple[Any, Any, float, float, str, str]] = []
    for text, fy_end in zip(distinct["label"], distinct["fy"], strict=True):
        if not text:
            continue
        try:
            p = parse_period(text, int(fy_end))
            parsed.append((text, fy_end, p.first_month, p.last_month, p.label, ""))
        except PeriodError as exc:
            parsed.append((text, fy_end, np.nan, np.nan, text, str(exc)))
    table = pd.DataFrame(
        parsed, columns=["label", "fy", "first", "last", "canonical", "msg"]
    ).set_index(["label", "fy"])
    found = table.reindex(pd.MultiIndex.from_arrays([label, fy]))
    b.out["first_month"] = pd.Series(found["first"].to_numpy(), index=b.raw.index)
    b.out["last_month"] = pd.Series(found["last"].to_numpy(), index=b.raw.index)
    b.out["period"] = pd.Series(found["canonical"].fillna("").to_numpy(), index=b.raw.index)
    b.error(
        pd.Series(found["msg"].fillna("").to_numpy(), index=b.raw.index) != "",
        "period",
        pd.Series(found["msg"].fillna("").to_numpy(), index=b.raw.index),
    )


def check_source_url(b: Batch) -> None:
    url = b.out["source_url"]
    b.error(
        (url != "") & ~url.str.match(_URL, na=False),
        "source_url",
        lambda: "source URL '" + url + "' is not a plain http(s) address (no user name or blanks)",
    )


RULES: tuple[Rule, ...] = (
    check_text_fields,
    check_choices,
    check_ids,
    check_company,
    check_new_company_consistency,
    check_amounts,
    check_currency,
    check_announced_on,
    check_ceiling,
    check_period,
    check_source_url,
)


def validate_frame(
    raw: pd.DataFrame,
    companies: pd.DataFrame,
    fx: FxTable,
    today: date | None = None,
    first_line: int | pd.Series = 2,
) -> ValidationResult:
    """Check raw announcement rows (strings, as read from CSV or a form).

    ``companies`` has :data:`COMPANY_COLUMNS` for the companies already stored.
    ``first_line`` is the file line of the first data row (2 for a CSV with a header),
    or a Series of each row's physical line, so messages point at the line an analyst
    sees even after a multi-line cell.
    """
    raw = raw.reset_index(drop=True)
    # pandas deep-copies a frame's attrs into every frame and Series derived from it: a
    # CSV's per-row line numbers there cost 0.07 s of copies per 100k-row check.
    raw.attrs = {}
    if isinstance(first_line, pd.Series):
        lines = pd.Series(first_line.to_numpy(), index=raw.index)
    else:
        lines = pd.Series(np.arange(len(raw)) + first_line, index=raw.index)
    batch = Batch(raw, lines, companies, fx, today or date.today())
    for rule in RULES:
        rule(batch)
    errors = batch.errors()
    valid = _canonical(batch)
    ok = valid[~valid["line"].isin(set(errors["line"]))].copy()
    ok, dup_errors = _drop_batch_duplicates(ok)
    if not dup_errors.empty:
        errors = pd.concat([errors, dup_errors], ignore_index=True).sort_values(
            "line", kind="stable"
        )
    months_first = ok["first_month"].astype(np.int64).to_numpy()
    months_last = ok["last_month"].astype(np.int64).to_numpy()
    ok["first_month"], ok["last_month"] = months_first, months_last
    ok["period_start"] = month_starts(months_first).date
    ok["period_end"] = (month_starts(months_last + 1) - pd.Timedelta(days=1)).date
    ok["announced_on"] = pd.to_datetime(ok["announced_on"]).dt.date
    return ValidationResult(ok.reset_index(drop=True), errors.reset_index(drop=True))


def _canonical(b: Batch) -> pd.DataFrame:
    out = {"line": b.lines}
    for name in NAMES:
        out[name] = b.out[name]
    for extra in ("company_key", "company_exists", "first_month", "last_month"):
        out[extra] = b.out[extra]
    return pd.DataFrame(out)


def _drop_batch_duplicates(ok: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows repeating an earlier row of the same batch (the database check is the
    service's)."""
    key = duplicate_key(ok)
    # Kept with the rows: the service looks them up among the stored ones by it.
    ok = ok.assign(duplicate_key=key)
    # On the keys' numbers: Series.duplicated on 100k Arrow strings took 0.1-0.2 s.
    codes, _distinct = pd.factorize(key)
    dup = pd.Series(codes, index=key.index).duplicated()
    if not dup.any():
        return ok, empty_errors()
    first_line = ok.groupby(key)["line"].transform("first")
    errors = pd.DataFrame(
        {
            "line": ok["line"][dup],
            "field": "company",
            "message": "duplicate of line "
            + first_line[dup].astype(str)
            + " (same company, amount, period and date)",
        }
    )
    return ok[~dup], errors


def duplicate_key(frame: pd.DataFrame) -> pd.Series:
    """:data:`tracker.schema.DUPLICATE_KEY` as one string per row (company by its
    normalized key, amounts to 6 significant digits). Arrow joins the parts in C++
    (adding eight pandas string columns took 0.19 s at 100k rows, this 0.07 s)."""
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    parts: list[pa.Array] = []
    for name in DUPLICATE_KEY:
        values = frame[name]
        if name == "company":
            part = _arrow_text(company_keys(values))
        elif name == "announced_on":
            days = pd.to_datetime(values).to_numpy().astype("datetime64[D]").astype(np.int64)
            part = pc.cast(pa.array(days), pa.large_string())
        elif BY_NAME[name].type == "amount":
            # Each distinct amount formatted once (np.char.mod formats every row).
            distinct, where = np.unique(values.to_numpy(float), return_inverse=True)
            texts = pa.array([f"{v:.6g}" for v in distinct.tolist()], pa.large_string())
            part = texts.take(pa.array(where.reshape(-1)))
        else:
            part = _arrow_text(values)
        parts.append(part)
    key = pc.binary_join_element_wise(*parts, pa.scalar("|", pa.large_string()))
    return pd.Series(key, index=frame.index, dtype=pd.ArrowDtype(pa.large_string())).astype("str")


def _arrow_text(values: pd.Series) -> pa.Array:
    """The column as Arrow text (pandas' own Arrow strings are handed over, not copied)."""
    return pa.array(values.astype(str)).cast(pa.large_string())
