"""Exports worth sending: rounded figures with units, the view they come from, and sources.

Used by the dashboard's download buttons and by ``capex export --annual``. Every export of
a view carries, in its file name and in a header comment block (CSV) or an *About* sheet
(Excel), the view's as-of date, its filters, the date the data is current to
(:func:`tracker.queries.data_as_of`), the FX source and a link that reopens the view.

Figures are USD bn rounded to :data:`DECIMALS` places (the precision companies announce);
the unit is in every figure's column name (``mid_usd_bn``); announcements are named by
one column, ``announcement_ids``. The plain import-format export (``capex export FILE``,
:func:`tracker.csv_io.announcements_to_csv`) stays without comment lines so it
re-imports.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

import pandas as pd

from tracker.csv_io import escape_formulas, table_to_csv
from tracker.query import ViewQuery
from tracker.views import comparison_table
from tracker.vocab import Measure

DECIMALS = 2
FX_NOTE = "ECB reference rates, monthly averages"
TITLE = "AI-infrastructure capex, USD bn per calendar year"
ID_COLUMN = "announcement_ids"
DEFAULT_PUBLIC_URL = "http://localhost:8501"
MAX_SLUG = 80

# The annual export: one row per company and calendar year of the headline series.
ANNUAL_COLUMNS = (
    "company",
    "country",
    "year",
    "low_usd_bn",
    "mid_usd_bn",
    "high_usd_bn",
    "months_covered",
    "covers",
    "basis",
    "scope",
    "qualifier",
    "in_totals",
    ID_COLUMN,
)
SOURCE_COLUMNS = (
    "announcement_id",
    "company",
    "kind",
    "scope",
    "period",
    "amount_low",
    "amount_high",
    "currency",
    "qualifier",
    "announced_on",
    "source_type",
    "evidence",
    "source_url",
    "used_for_years",
)


@dataclass(frozen=True)
class ExportInfo:
    """What an export says about itself: which view, how current, where to reopen it."""

    query: ViewQuery
    data_as_of: date | None
    link: str

    @property
    def filters(self) -> str:
        return filters_text(self.query)

    def header(self, what: str) -> list[str]:
        """The comment block on top of a CSV export (and the About sheet's rows)."""
        return [
            f"capex-tracker export: {what}",
            f"as of: {self.query.as_of.isoformat()}",
            f"filters: {self.filters}",
            f"data as of: {_date_text(self.data_as_of)}",
            f"units: USD bn per calendar year, rounded to {DECIMALS} decimals",
            f"FX: {FX_NOTE}",
            f"source: {self.link}",
        ]


def _date_text(value: date | None) -> str:
    return value.isoformat() if value else "no data"


def filters_text(query: ViewQuery) -> str:
    """The view's filters and choices in words a reader can retype: ``companies=Meta,
    Amazon; years=2024-2026; measure=mid`` (the as-of date is reported on its own)."""
    params = {k: v for k, v in query.to_params(today=date.min).items() if k != "as_of"}
    params.setdefault("measure", query.measure)
    return "; ".join(f"{k}={v}" for k, v in params.items())


def view_link(base_url: str, page: str, params: dict[str, str], query: ViewQuery) -> str:
    """A link reopening the view: the page's URL with the view's query string, the as-of
    date always spelt out (a link without it would move with the calendar)."""
    merged = {**params, **query.to_params(today=date.min)}
    base = (base_url or DEFAULT_PUBLIC_URL).rstrip("/")
    path = f"/{page.strip('/')}" if page.strip("/") else "/"
    return f"{base}{path}?{urlencode(merged, safe=',')}" if merged else base + path


def citation(info: ExportInfo) -> str:
    """``capex-tracker (2026). AI-infrastructure capex, USD bn per calendar year, as of
    2026-03-01; data as of 2026-02-05. <link>``: the year is the data's."""
    year = (info.data_as_of or info.query.as_of).year
    return (
        f"capex-tracker ({year}). {TITLE}, as of {info.query.as_of.isoformat()}; "
        f"data as of {_date_text(info.data_as_of)}. {info.link}"
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", text).strip("-")


def file_name(what: str, info: ExportInfo, extension: str) -> str:
    """``capex-comparison_asof-2026-03-01_data-2026-02-05_companies-Meta+Amazon.csv``."""
    parts = [
        f"capex-{_slug(what)}",
        f"asof-{info.query.as_of.isoformat()}",
        f"data-{_date_text(info.data_as_of)}",
    ]
    params = {k: v for k, v in info.query.to_params(today=date.min).items() if k != "as_of"}
    for key, value in params.items():
        parts.append(_slug(f"{key}-{value.replace(',', '+')}"))
    name = "_".join(parts)
    return f"{name[: MAX_SLUG + 40]}.{extension.lstrip('.')}"


# --- tables --------------------------------------------------------------------------


def annual_table(headline: pd.DataFrame) -> pd.DataFrame:
    """The headline series as sent: USD bn rounded, units in the column names."""
    out = headline.rename(
        columns={
            "low": "low_usd_bn",
            "mid": "mid_usd_bn",
            "high": "high_usd_bn",
            "months": "months_covered",
        }
    )
    for column in ANNUAL_COLUMNS:
        if column not in out.columns:
            out[column] = pd.NA
    out = out[list(ANNUAL_COLUMNS)].copy()
    for column in ("low_usd_bn", "mid_usd_bn", "high_usd_bn"):
        out[column] = out[column].astype(float).round(DECIMALS)
    out["year"] = out["year"].astype(int)
    return out.sort_values(["company", "year"]).reset_index(drop=True)


def comparison_export(headline: pd.DataFrame, measure: str = Measure.MID.value) -> pd.DataFrame:
    """Companies by calendar year (the Comparison page's table) with units in the
    column names (``2025_mid_usd_bn``, ``2025_yoy_pct``), rounded."""
    table = comparison_table(headline, measure)
    renamed: dict[str, str] = {}
    for column in table.columns:
        name = str(column)
        if name.endswith(" YoY %"):
            renamed[name] = f"{name.removesuffix(' YoY %')}_yoy_pct"
        elif name.isdigit():
            renamed[name] = f"{name}_{measure}_usd_bn"
    out = table.rename(columns=renamed)
    numbers = list(renamed.values())
    out[numbers] = out[numbers].astype(float).round(DECIMALS)
    return out


def sources(headline: pd.DataFrame, announcements: pd.DataFrame) -> pd.DataFrame:
    """Every announcement behind the figures, once, with its source, source type and
    qualifier, and the years it is used for."""
    if headline.empty:
        return pd.DataFrame(columns=list(SOURCE_COLUMNS))
    used = headline.assign(announcement_id=headline[ID_COLUMN].astype(str).str.split(","))
    used = used.explode("announcement_id")
    used = used[used["announcement_id"].str.strip() != ""]
    used["announcement_id"] = used["announcement_id"].astype(int)
    years = used.groupby("announcement_id")["year"].agg(
        lambda s: ", ".join(str(int(y)) for y in sorted(set(s)))
    )
    rows = announcements.set_index("id").reindex(years.index)
    out = rows.assign(used_for_years=years).reset_index(names="announcement_id")
    out["announced_on"] = pd.to_datetime(out["announced_on"]).dt.strftime("%Y-%m-%d")
    return out[list(SOURCE_COLUMNS)].sort_values(["company", "announced_on", "announcement_id"])


# --- files ---------------------------------------------------------------------------


def to_csv(table: pd.DataFrame, info: ExportInfo, what: str) -> str:
    """The table as CSV under a ``# `` comment block describing the view (spreadsheets
    and pandas read it with ``comment='#'``)."""
    lines = []
    for line in info.header(what):
        # A spreadsheet splits the line at commas: any piece that starts like a formula
        # (a company named "=HYPERLINK(...)" in the filters) gets an apostrophe.
        pieces = escape_formulas(pd.Series(f"# {line}".split(",")))
        lines.append(",".join(pieces) + "\n")
    return "".join(lines) + table_to_csv(table)


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula get a leading apostrophe."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = escape_formulas(out[column])
    return out


def to_xlsx(tables: dict[str, pd.DataFrame], source_rows: pd.DataFrame, info: ExportInfo) -> bytes:
    """An Excel workbook: one sheet per table (figures as numbers with two decimals), a
    *Sources* sheet (every announcement behind the figures) and an *About* sheet (as-of,
    filters, data as of, FX, link)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for name, frame in {**tables, "Sources": source_rows}.items():
        sheet = book.create_sheet(name[:31])
        safe = _safe(frame)
        sheet.append([str(c) for c in safe.columns])
        for record in safe.itertuples(index=False):
            sheet.append([None if _missing(v) else _plain(v) for v in record])
        for i, column in enumerate(safe.columns, 1):
            letter = get_column_letter(i)
            if str(column).endswith(("_usd_bn", "_pct")):
                for cell in sheet[letter][1:]:
                    cell.number_format = "0.00"
            width = max([len(str(column))] + [len(str(v)) for v in safe[column].head(200)])
            sheet.column_dimensions[letter].width = min(max(width + 2, 8), 60)
        sheet.freeze_panes = "A2"
    about = book.create_sheet("About")
    about.append(["field", "value"])
    for line in info.header(", ".join(tables)):
        key, _, value = line.partition(": ")
        about.append([key, value])
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _plain(value: object) -> object:
    """numpy scalars and timestamps as the Python values openpyxl writes."""
    if isinstance(value, pd.Timestamp):
        return value.date()
    item = getattr(value, "item", None)
    return item() if callable(item) else value
