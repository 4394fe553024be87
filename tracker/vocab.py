"""Every controlled vocabulary of the tracker, each defined once with what goes with it.

A scope or kind carries its label, its rank (which wins when several describe the same
month) and its colour here, so adding one is a change in this file plus a migration if
stored values change: validation, normalization, charts, the CLI and the form all read
these enums instead of keeping their own lists.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self, TypeVar

_E = TypeVar("_E", bound=StrEnum)


def _member(cls: type[_E], value: str, label: str) -> _E:
    """A new enum member with its label (Enum swaps ``__new__`` out of base classes, so
    each subclass builds its members through this)."""
    member = str.__new__(cls, value)
    member._value_ = value
    member.label = label  # type: ignore[attr-defined]
    return member


class _Described(StrEnum):
    """A string enum whose members carry a human label (and more, in subclasses)."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        return _member(cls, value, label)

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {m.value: m.label for m in cls}


class Kind(_Described):
    """What an announcement is, which decides how it combines with others.

    ``rank``: for one company-month the reported actual beats guidance, which beats a
    pledge, so the headline shows the firmest figure there is.
    """

    rank: int
    colour: str

    def __new__(cls, value: str, label: str, rank: int, colour: str) -> Self:
        member = _member(cls, value, label)
        member.rank = rank
        member.colour = colour
        return member

    ACTUAL = ("actual", "Actual (reported)", 0, "#1f4e79")
    GUIDANCE = ("guidance", "Guidance", 1, "#2e8b57")
    PLEDGE = ("pledge", "Pledge", 2, "#e07b00")


class Scope(_Described):
    """What the money covers. Different scopes are never added together.

    ``rank``: the broadest capex measure a company reports is its headline series.
    ``is_capex``: whether the scope is capital expenditure at all; an investment
    programme (suppliers, R&D, jobs) is shown on its own and never enters totals.
    """

    rank: int
    is_capex: bool

    def __new__(cls, value: str, label: str, rank: int, is_capex: bool) -> Self:
        member = _member(cls, value, label)
        member.rank = rank
        member.is_capex = is_capex
        return member

    TOTAL_CAPEX = ("total_capex", "Total capex", 0, True)
    AI_INFRASTRUCTURE = ("ai_infrastructure", "AI + cloud infrastructure capex", 1, True)
    DATA_CENTERS = ("data_centers", "Data-center capex", 2, True)
    TOTAL_INVESTMENT = ("total_investment", "Investment programme (not capex)", 3, False)

    @classmethod
    def capex(cls) -> list[str]:
        return [m.value for m in cls if m.is_capex]


class Qualifier(_Described):
    """How firm a figure is, as the company worded it ("more than", "up to")."""

    symbol: str

    def __new__(cls, value: str, label: str, symbol: str) -> Self:
        member = _member(cls, value, label)
        member.symbol = symbol
        return member

    EXACT = ("exact", "Exact", "")
    ABOUT = ("about", "About", "~")
    AT_LEAST = ("at_least", "At least (floor)", "≥")
    UP_TO = ("up_to", "Up to (ceiling)", "≤")


class SourceType(_Described):
    """What the cited source is: the company's own document or an article about it."""

    FILING = ("filing", "Company filing")
    COMPANY_RELEASE = ("company_release", "Company release or earnings call")
    PRESS_ARTICLE = ("press_article", "Press article")


class Evidence(_Described):
    """Who stands behind the figure. A press report the company never confirmed stays
    out of totals unless the user includes it."""

    COMPANY = ("company", "Stated by the company")
    PRESS_REPORT = ("press_report", "Press report, not confirmed by the company")


class Measure(_Described):
    """Which end of an announced range a view uses."""

    MID = ("mid", "Midpoint")
    LOW = ("low", "Low end")
    HIGH = ("high", "High end")


MIXED = "mixed"  # label of a figure built from more than one kind, scope or qualifier
