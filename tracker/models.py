"""Database tables (SQLModel).

Amounts are stored in billions of the announced currency, exactly as announced; USD and
per-year figures are always derived (see :mod:`tracker.normalize`) so a corrected FX rate
or fiscal-year end never leaves stale numbers behind. Rows are never deleted: a delete
sets ``deleted_at``, and every edit or delete leaves an :class:`AnnouncementChange` with
the old values. The announcement's columns are described in :mod:`tracker.schema`; a
test checks that this model has each of them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlalchemy.types import JSON
from sqlmodel import Field, SQLModel

from tracker.schema import DUPLICATE_KEY
from tracker.vocab import Evidence, Qualifier, SourceType

MAX_USER = 200


def utcnow() -> datetime:
    """Timezone-aware UTC now: analysts in several time zones share one database."""
    return datetime.now(UTC)


class Company(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, index=True)
    # tracker.names.company_key(name): unique, so look-alike spellings are one company.
    name_key: str = Field(max_length=120, unique=True)
    country: str = Field(max_length=2, description="ISO 3166-1 alpha-2 code")
    fiscal_year_end_month: int = Field(default=12, ge=1, le=12)
    ticker: str | None = Field(default=None, max_length=20)
    cik: str | None = Field(default=None, max_length=10, description="SEC Central Index Key")
    venture_partners: str = Field(
        default="", max_length=500, description="partners whose capex may include its spend"
    )


_LIVE_KEY = ["company_id" if c == "company" else c for c in DUPLICATE_KEY]


class Announcement(SQLModel, table=True):
    __table_args__ = (
        # tracker.schema.DUPLICATE_KEY, enforced even when two writers race each other.
        Index(
            "uq_announcement_live",
            *_LIVE_KEY,
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_announcement_company_period", "company_id", "scope", "kind", "period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    kind: str = Field(max_length=16)
    scope: str = Field(max_length=32)
    amount_low: float = Field(description="billions of `currency`")
    amount_high: float = Field(description="billions of `currency`; equals low unless a range")
    currency: str = Field(max_length=3)
    qualifier: str = Field(default=Qualifier.EXACT.value, max_length=16)
    period: str = Field(max_length=32, description="canonical label, e.g. FY2025")
    period_start: date
    period_end: date
    announced_on: date = Field(index=True)
    source_url: str = Field(max_length=2000)
    source_type: str = Field(default=SourceType.COMPANY_RELEASE.value, max_length=24)
    evidence: str = Field(default=Evidence.COMPANY.value, max_length=16)
    supersedes: int | None = Field(default=None, foreign_key="announcement.id")
    notes: str = Field(default="", max_length=2000)
    # Set by a sync (e.g. "sec:789019:2025-07-01:2025-09-30") so a re-run updates its row.
    external_key: str | None = Field(default=None, max_length=120, unique=True)
    version: int = Field(default=1, description="raised by every change; edits name it")
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=MAX_USER)
    updated_at: datetime = Field(default_factory=utcnow, index=True)
    deleted_at: datetime | None = Field(default=None)
    deleted_by: str | None = Field(default=None, max_length=MAX_USER)


class AnnouncementChange(SQLModel, table=True):
    """One edit, delete or restore of an announcement, with the values it replaced."""

    __tablename__ = "announcement_change"

    id: int | None = Field(default=None, primary_key=True)
    announcement_id: int = Field(foreign_key="announcement.id", index=True)
    action: str = Field(max_length=16)  # update | delete | restore
    changed_at: datetime = Field(default_factory=utcnow)
    changed_by: str = Field(max_length=MAX_USER)
    old_values: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    new_values: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class FilingMetric(SQLModel, table=True):
    """A figure from a company's filings other than capex (revenue, operating cash
    flow), per fiscal quarter, for capex-intensity ratios."""

    __tablename__ = "filing_metric"
    __table_args__ = (UniqueConstraint("company_id", "metric", "period_start", "period_end"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    metric: str = Field(max_length=32)  # revenue | operating_cash_flow
    period_start: date
    period_end: date
    value_usd_bn: float
    source_url: str = Field(max_length=2000)
    filed_on: date
