"""Database tables (SQLModel) and the vocabularies they use.

Amounts are stored in billions of the announced currency, exactly as announced; USD and
per-year figures are always derived (see :mod:`tracker.normalize`) so a corrected FX rate
or fiscal-year end never leaves stale numbers behind. Rows are never deleted: a delete
sets ``deleted_at``, and every edit or delete leaves an :class:`AnnouncementChange` with
the old values.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, text
from sqlalchemy.types import JSON
from sqlmodel import Field, SQLModel


class Kind(StrEnum):
    """What an announcement is, which decides how it combines with others."""

    PLEDGE = "pledge"  # multi-year commitment (Alibaba's RMB 380bn over three years)
    GUIDANCE = "guidance"  # annual outlook, revised during the year
    ACTUAL = "actual"  # reported capex from filings


class Scope(StrEnum):
    """What the money covers; different scopes are never added together."""

    DATA_CENTERS = "data_centers"
    AI_INFRASTRUCTURE = "ai_infrastructure"
    TOTAL_CAPEX = "total_capex"
    TOTAL_INVESTMENT = "total_investment"


SCOPE_LABELS: dict[str, str] = {
    Scope.TOTAL_CAPEX: "Total capex",
    Scope.AI_INFRASTRUCTURE: "AI + cloud infrastructure",
    Scope.DATA_CENTERS: "Data centers",
    Scope.TOTAL_INVESTMENT: "Total investment (not only capex)",
}
KIND_LABELS: dict[str, str] = {
    Kind.ACTUAL: "Actual (reported)",
    Kind.GUIDANCE: "Guidance",
    Kind.PLEDGE: "Pledge",
}


def utcnow() -> datetime:
    """Timezone-aware UTC now: analysts in several time zones share one database."""
    return datetime.now(UTC)


class Company(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True, index=True)
    country: str = Field(max_length=2, description="ISO 3166-1 alpha-2 code")
    fiscal_year_end_month: int = Field(default=12, ge=1, le=12)
    ticker: str | None = Field(default=None, max_length=20)


class Announcement(SQLModel, table=True):
    __table_args__ = (
        # The same figure for the same period announced the same day is one announcement;
        # the index makes that hold even when two writers race each other.
        Index(
            "uq_announcement_live",
            "company_id",
            "period",
            "announced_on",
            "amount_low",
            "amount_high",
            "currency",
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
    period: str = Field(max_length=32, description="canonical label, e.g. FY2025")
    period_start: date
    period_end: date
    announced_on: date = Field(index=True)
    source_url: str = Field(max_length=2000)
    notes: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=120)
    updated_at: datetime = Field(default_factory=utcnow, index=True)
    deleted_at: datetime | None = Field(default=None)
    deleted_by: str | None = Field(default=None, max_length=120)


class AnnouncementChange(SQLModel, table=True):
    """One edit, delete or restore of an announcement, with the values it replaced."""

    __tablename__ = "announcement_change"

    id: int | None = Field(default=None, primary_key=True)
    announcement_id: int = Field(foreign_key="announcement.id", index=True)
    action: str = Field(max_length=16)  # update | delete | restore
    changed_at: datetime = Field(default_factory=utcnow)
    changed_by: str = Field(max_length=120)
    old_values: dict = Field(sa_column=Column(JSON, nullable=False))
    new_values: dict = Field(sa_column=Column(JSON, nullable=False))
