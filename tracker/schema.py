"""The announcement's columns, defined once.

Validation, CSV import and export, the add and edit forms and the list views all derive
their column lists from :data:`COLUMNS`; "the same announcement" is
:data:`DUPLICATE_KEY`, which the validator, the unique index and the restore check all
use. Adding a column is a row here plus its migration (and a model field, which a test
checks against this list).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Literal

from tracker.vocab import Evidence, Kind, Qualifier, Scope, SourceType, _Described

ColumnType = Literal["id", "text", "int", "amount", "date", "choice", "code"]


@dataclass(frozen=True)
class Column:
    """One column of the import format.

    ``level``: ``company`` columns describe the company (used when it is new, checked
    against the stored one otherwise); ``announcement`` columns belong to the row.
    ``editable``: can be changed by an edit of the announcement.
    ``default``: the value a blank cell takes (``None``: no default).
    """

    name: str
    label: str
    type: ColumnType
    help: str
    required: bool = False
    level: Literal["id", "company", "announcement"] = "announcement"
    editable: bool = True
    choices: builtins.type[_Described] | None = None  # `type` is the field above
    default: str | None = None
    max_length: int | None = None


COLUMNS: tuple[Column, ...] = (
    Column(
        "id",
        "Id",
        "id",
        "the stored announcement's id; blank for a new row. A file exported with ids "
        "updates changed rows when imported again and skips unchanged ones",
        level="id",
        editable=False,
    ),
    Column(
        "version",
        "Version",
        "id",
        "the version an exported row had; importing it again refuses a row that was "
        "changed since (export again, then reapply your change)",
        level="id",
        editable=False,
    ),
    Column("company", "Company", "text", "company name", True, "company", False, max_length=120),
    Column("ticker", "Ticker", "text", "stock ticker, if listed", level="company", max_length=20),
    Column(
        "country",
        "Country",
        "code",
        "ISO 3166 two-letter code; required for a new company",
        level="company",
        max_length=2,
    ),
    Column(
        "fy_end_month",
        "Fiscal-year end month",
        "int",
        "1-12, the month the company's fiscal year ends (Microsoft 6); default 12",
        level="company",
        default="12",
    ),
    Column(
        "cik",
        "SEC CIK",
        "text",
        "SEC Central Index Key (digits) for US filers; blank otherwise",
        level="company",
        max_length=10,
    ),
    Column(
        "venture_partners",
        "Venture of",
        "text",
        "for a joint venture whose spending is inside other companies' capex: the "
        "partners, separated by ';' (kept out of totals by default)",
        level="company",
        max_length=500,
    ),
    Column("kind", "Kind", "choice", "pledge, guidance or actual", True, choices=Kind),
    Column("scope", "Scope", "choice", "what the money covers", True, choices=Scope),
    Column(
        "period",
        "Period",
        "text",
        "2025, FY2025, 2025-2027, FY2026-FY2028 or explicit months 2025-03/2026-02",
        True,
        max_length=32,
    ),
    Column("amount_low", "Amount (bn)", "amount", "billions of the currency", True),
    Column(
        "amount_high",
        "High end (bn)",
        "amount",
        "billions, the high end of a range; blank for a single figure",
    ),
    Column("currency", "Currency", "code", "ISO 4217 code, e.g. USD, CNY", True, max_length=3),
    Column(
        "qualifier",
        "Qualifier",
        "choice",
        "exact, about, at_least ('more than') or up_to ('up to')",
        choices=Qualifier,
        default=Qualifier.EXACT.value,
    ),
    Column("announced_on", "Announced on", "date", "YYYY-MM-DD", True),
    Column(
        "source_url",
        "Source URL",
        "text",
        "the company's release or filing where possible",
        True,
        max_length=2000,
    ),
    Column(
        "source_type",
        "Source type",
        "choice",
        "filing, company_release or press_article",
        choices=SourceType,
        default=SourceType.COMPANY_RELEASE.value,
    ),
    Column(
        "evidence",
        "Evidence",
        "choice",
        "company, or press_report when the company has not confirmed the figure",
        choices=Evidence,
        default=Evidence.COMPANY.value,
    ),
    Column(
        "supersedes",
        "Supersedes",
        "id",
        "id of an earlier announcement this one replaces, even for another period",
    ),
    Column("notes", "Notes", "text", "what the figure is, in a sentence", max_length=2000),
)

BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
COMPANY_FIELDS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.level == "company")
EDITABLE: tuple[str, ...] = tuple(
    c.name for c in COLUMNS if c.editable and c.level == "announcement"
)
# Text cells a spreadsheet could run as a formula, escaped on export.
TEXT_FIELDS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.type in ("text", "code"))

# "The same announcement": the same company, figure, currency, period and date.
DUPLICATE_KEY: tuple[str, ...] = (
    "company",
    "period",
    "announced_on",
    "amount_low",
    "amount_high",
    "currency",
)

# Fields that the database stores beside the announcement's own columns, derived on save.
DERIVED_FIELDS: tuple[str, ...] = ("period_start", "period_end")


def help_text(name: str) -> str:
    """Help for a column, with its choices spelled out."""
    column = BY_NAME[name]
    if column.choices is None:
        return column.help
    return column.help + " (" + ", ".join(column.choices.values()) + ")"
