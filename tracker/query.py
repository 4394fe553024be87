"""One description of a view, shared by the dashboard, its links and the CLI.

A :class:`ViewQuery` holds every filter and choice (as-of, companies, countries,
scopes, years, measure, what to include). :func:`run` turns announcements into the
figures of that view, so ``capex summary`` with the same options prints exactly what a
dashboard view shows, and :meth:`ViewQuery.to_params` / :meth:`ViewQuery.from_params`
put the view into a URL query string and back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from tracker.fx import FxTable
from tracker.normalize import AnnualView, Inclusion, annual_view
from tracker.vocab import Measure, Scope


@dataclass(frozen=True)
class ViewQuery:
    as_of: date = field(default_factory=date.today)
    companies: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()  # empty: every scope
    years: tuple[int, int] | None = None
    measure: str = Measure.MID.value
    include_ventures: bool = False
    include_press: bool = False

    @property
    def inclusion(self) -> Inclusion:
        return Inclusion(ventures=self.include_ventures, press_reports=self.include_press)

    def to_params(self, today: date | None = None) -> dict[str, str]:
        """Query-string parameters for the non-default parts of the view."""
        out: dict[str, str] = {}
        if self.as_of != (today or date.today()):
            out["as_of"] = self.as_of.isoformat()
        for name in ("companies", "countries", "scopes"):
            values = getattr(self, name)
            if values:
                out[name] = ",".join(values)
        if self.years:
            out["years"] = f"{self.years[0]}-{self.years[1]}"
        if self.measure != Measure.MID.value:
            out["measure"] = self.measure
        if self.include_ventures:
            out["ventures"] = "1"
        if self.include_press:
            out["press"] = "1"
        return out

    @classmethod
    def from_params(cls, params: Mapping[str, str], today: date | None = None) -> ViewQuery:
        """The view a query string describes; parts that cannot be read are ignored (a
        hand-edited link opens the default view rather than an error)."""
        query = cls(as_of=today or date.today())

        def items(name: str) -> tuple[str, ...]:
            raw = params.get(name, "")
            return tuple(v for v in (s.strip() for s in str(raw).split(",")) if v)

        changes: dict[str, object] = {
            "companies": items("companies"),
            "countries": items("countries"),
            "scopes": tuple(s for s in items("scopes") if s in Scope.values()),
            "include_ventures": params.get("ventures") == "1",
            "include_press": params.get("press") == "1",
        }
        with contextlib.suppress(KeyError, ValueError):
            changes["as_of"] = date.fromisoformat(str(params["as_of"]))
        if params.get("measure") in Measure.values():
            changes["measure"] = params["measure"]
        try:
            first, last = (int(y) for y in str(params["years"]).split("-"))
            changes["years"] = (min(first, last), max(first, last))
        except (KeyError, ValueError):
            pass
        return replace(query, **changes)  # type: ignore[arg-type]


@dataclass
class ViewResult:
    """The figures of one view: the annual view of the filtered announcements, and the
    headline and side-by-side rows after the company, country and year filters."""

    query: ViewQuery
    view: AnnualView
    headline: pd.DataFrame
    by_basis: pd.DataFrame
    announcements: pd.DataFrame


def filter_rows(frame: pd.DataFrame, query: ViewQuery) -> pd.DataFrame:
    """Rows of a per-company table (with ``year`` if annual) that match the filters."""
    out = frame
    if query.companies:
        out = out[out["company"].isin(query.companies)]
    if query.countries:
        out = out[out["country"].isin(query.countries)]
    if query.years and "year" in out.columns:
        out = out[out["year"].between(*query.years)]
    return out


def filter_announcements(frame: pd.DataFrame, query: ViewQuery) -> pd.DataFrame:
    """Announcements known at the as-of date that match the filters; ``years`` keeps
    those whose period overlaps the range."""
    out = frame[pd.to_datetime(frame["announced_on"]) <= pd.Timestamp(query.as_of)]
    out = filter_rows(out, query)
    if query.scopes:
        out = out[out["scope"].isin(query.scopes)]
    if query.years:
        first, last = query.years
        ends = pd.to_datetime(out["period_end"]).dt.year
        starts = pd.to_datetime(out["period_start"]).dt.year
        out = out[(ends >= first) & (starts <= last)]
    return out


# CompanyRows.owning takes the owners' rows up to this share of the frame. Measured at
# 100k announcements (a Programmes page's ids), figures from the owners' rows against
# the whole frame: 25 vs 40 ms when they hold 1 % of it, 45 vs 53 ms at 10 %, 66 vs
# 63 ms at 25 %, 98 vs 79 ms at 45 %.
OWNERS_TAKEN_UP_TO = 0.2


@dataclass(frozen=True, eq=False)
class CompanyRows:
    """A frame with where each company's announcements are in it, and each company's
    country: the rows of a few chosen companies are then taken without scanning the
    whole frame (at 100k announcements a filter of every row took 15-75 ms in the
    dashboard's server, a take of one company's rows a few ms). The positions are kept
    with the frame they index, so they are never applied to another."""

    frame: pd.DataFrame
    positions: dict[str, np.ndarray]
    country: dict[str, str | None]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> CompanyRows:
        positions = frame.groupby("company", sort=False, observed=True).indices
        country = frame["country"].to_numpy()
        return cls(
            frame=frame,
            positions={str(c): np.asarray(rows) for c, rows in positions.items()},
            country={str(c): country[rows[0]] for c, rows in positions.items()},
        )

    def _parts(self, query: ViewQuery) -> list[np.ndarray]:
        names, countries = set(query.companies), set(query.countries)
        return [
            rows
            for company, rows in self.positions.items()
            if (not names or company in names)
            and (not countries or self.country[company] in countries)
        ]

    def count(self, query: ViewQuery) -> int:
        """How many rows the company and country filters keep (without gathering them:
        the dashboard asks on every run)."""
        if not query.companies and not query.countries:
            return len(self.frame)
        return sum(len(rows) for rows in self._parts(query))

    def positions_of(self, query: ViewQuery) -> np.ndarray:
        """Positions of the rows of the companies the company and country filters keep
        (every row when neither is set), in the frame's order."""
        if not query.companies and not query.countries:
            return np.arange(len(self.frame))
        parts = self._parts(query)
        return np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)

    def chosen(self, query: ViewQuery) -> pd.DataFrame:
        """The rows of the companies the company and country filters keep."""
        if not query.companies and not query.countries:
            return self.frame
        return self.frame.take(self.positions_of(query))

    def owning(self, ids: Collection[int]) -> pd.DataFrame:
        """Every row (of any date) of the companies that own the announcements ``ids``:
        all that :func:`tracker.views.figures_for` reads to link and judge them, since
        revisions and ``supersedes`` never cross companies (:func:`chosen_companies`).
        At 100k announcements the figures of one company's announcements took 40 ms
        from the whole frame (each revision key factorized over every row), 25 ms from
        its own rows. Past OWNERS_TAKEN_UP_TO of the frame, the frame itself (a copy
        of many rows costs more than it saves)."""
        wanted = np.flatnonzero(self.frame["id"].isin(list(ids)).to_numpy())
        if not len(wanted):
            return self.frame.iloc[:0]
        owners = ViewQuery(companies=tuple(set(self.frame["company"].take(wanted).astype(str))))
        if self.count(owners) > OWNERS_TAKEN_UP_TO * len(self.frame):
            return self.frame
        return self.chosen(owners)


def chosen_companies(frame: pd.DataFrame, query: ViewQuery) -> pd.DataFrame:
    """The announcements of the companies ``query``'s company and country filters keep
    (all of them when neither is set). Every figure belongs to one company: a revision,
    a ``supersedes`` link (checked on every write) and a month's choice between
    statements never cross companies, and a joint venture is its own company's row. So
    these rows resolved alone give the chosen companies the figures a view of every
    company gives them (sums may differ in the last digit, added in another order), for
    a fraction of the work (at 100k synthetic announcements, one company has some 150)."""
    if not query.companies and not query.countries:
        return frame
    return CompanyRows.of(frame).chosen(query)


def compute_view(frame: pd.DataFrame, query: ViewQuery, fx: FxTable | None = None) -> AnnualView:
    """The annual view of ``query``'s scopes and chosen companies (:func:`chosen_companies`),
    before the year filter. What supersedes what is decided over every scope before the
    scopes are chosen, so a superseded announcement stays out whatever scopes are shown."""
    return annual_view(
        chosen_companies(frame, query), query.as_of, fx, query.inclusion, query.scopes
    )


def run(frame: pd.DataFrame, query: ViewQuery, fx: FxTable | None = None) -> ViewResult:
    view = compute_view(frame, query, fx)
    return ViewResult(
        query,
        view,
        filter_rows(view.headline, query),
        filter_rows(view.by_basis, query),
        filter_announcements(frame, query),
    )
