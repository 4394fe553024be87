"""Reported capital expenditure from SEC XBRL "companyfacts", by fiscal quarter.

Announcements say what a company *plans* to spend; the cash-flow statements filed with the
SEC say what it *spent*. This module turns the SEC's companyfacts JSON
(``https://data.sec.gov/api/xbrl/companyfacts/CIK##########.json``, or the same files inside
the bulk ``companyfacts.zip``) into one row per fiscal quarter. It is pure and offline
testable: no database, no UI; the network is touched only by :func:`fetch_companyfacts`,
whose transport is injectable.

Three properties of the source shape everything below:

* ``fy``/``fp``/``form``/``filed`` describe the *filing*, not the period. Every 10-Q repeats
  the prior year's comparatives under its own ``fy``/``fp``, so periods are identified by
  their ``start``/``end`` dates only and each (start, end) is kept once.
* A fact may be reported again later with a different value (a 10-Q/A, a 10-K/A, a recast
  comparative). The value filed last wins.
* Cash-flow facts in 10-Qs are year-to-date (Q2 covers six months from the fiscal-year
  start, Q3 nine) and the 10-K gives the full year, so single quarters are mostly
  *derived* by differencing: Q2 = H1 - Q1, Q3 = 9M - H1, Q4 = FY - 9M. A reported
  three-month fact is used directly wherever one exists.

Fiscal years are named after the calendar year they end in (Microsoft's FY2025 runs July
2024 - June 2025), the convention :mod:`tracker.periods` uses.
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

COMPANYFACTS_URL = "https://data.sec.gov/api/xbrl/companyfacts/CIK{cik:010d}.json"
FILING_INDEX_URL = "https://www.sec.gov/Archives/edgar/data/{cik}/{accn_digits}/{accn}-index.htm"

PPE_TAG = "PaymentsToAcquirePropertyPlantAndEquipment"
PRODUCTIVE_ASSETS_TAG = "PaymentsToAcquireProductiveAssets"
FINANCE_LEASE_ADDITIONS_TAG = "RightOfUseAssetObtainedInExchangeForFinanceLeaseLiability"
FINANCE_LEASE_PRINCIPAL_TAG = "FinanceLeasePrincipalPayments"
REVENUE_TAGS = ("RevenueFromContractWithCustomerExcludingAssessedTax", "Revenues")
OPERATING_CASH_FLOW_TAGS = ("NetCashProvidedByUsedInOperatingActivities",)

# Periodic reports only: registration statements (S-1, S-4) and 8-Ks also carry XBRL, but
# they repeat figures (sometimes pro forma) and are not where an analyst would look a
# quarter up, so letting a later 8-K "win" would point the source link at the wrong place.
PERIODIC_FORMS = frozenset(
    {"10-K", "10-K/A", "10-KT", "10-KT/A", "10-Q", "10-Q/A", "20-F", "20-F/A", "40-F", "40-F/A"}
)

CAPEX_COLUMNS = [
    "cik",
    "entity",
    "fiscal_year",
    "fiscal_quarter",
    "start",
    "end",
    "first_month",
    "last_month",
    "cash_capex_usd_bn",
    "headline_capex_usd_bn",
    "tags",
    "accn",
    "filed",
    "source_url",
]
ANNUAL_CAPEX_COLUMNS = [c for c in CAPEX_COLUMNS if c != "fiscal_quarter"]
METRIC_COLUMNS = [
    "cik",
    "entity",
    "fiscal_year",
    "fiscal_quarter",
    "start",
    "end",
    "first_month",
    "last_month",
    "value_usd_bn",
    "tag",
    "accn",
    "filed",
    "source_url",
]
ANNUAL_METRIC_COLUMNS = [c for c in METRIC_COLUMNS if c != "fiscal_quarter"]

_CIK_FILE = re.compile(r"^CIK(\d{10})\.json$")
_CONTACT = re.compile(r"\S+@\S+\.\S+")
_DAYS_PER_QUARTER = 365.2425 / 4
# A 14-week quarter of a 52/53-week year is ~7 days off a calendar quarter; 14 days of slack
# keeps those while rejecting one- and two-month facts.
_QUARTER_SLACK_DAYS = 14
_RETRY_STATUSES = frozenset({429, 503})
_MAX_RETRY_AFTER_SECONDS = 60.0


class SecError(Exception):
    """Loading or interpreting SEC companyfacts failed; the message is one sentence."""


# --------------------------------------------------------------------------------------
# Capex definitions
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapexDefinition:
    """Which XBRL tags make a company's capex, and why.

    ``cash_tags`` are alternatives in priority order: each fiscal quarter takes the first
    tag that yields it, because companies tag the same line differently (Amazon's
    "Purchases of property and equipment" is ``PaymentsToAcquireProductiveAssets``).
    ``headline_tags`` are *added* to the cash figure to reproduce the capex number the
    company itself headlines; the cash-only figure is always kept alongside it.
    """

    label: str = "cash capex"
    cash_tags: tuple[str, ...] = (PPE_TAG,)
    headline_tags: tuple[str, ...] = ()
    headline_label: str = "cash capex"
    note: str = ""


DEFAULT_DEFINITION = CapexDefinition(
    note=(
        "Purchases of property and equipment from the cash-flow statement. The broader "
        "PaymentsToAcquireProductiveAssets is not a default fallback: it can include "
        "intangibles, so a company gets it only after its filing's line item was checked."
    ),
)

DEFINITIONS: dict[int, CapexDefinition] = {
    789019: CapexDefinition(
        label="Microsoft",
        headline_tags=(FINANCE_LEASE_ADDITIONS_TAG,),
        headline_label="capital expenditures including finance leases",
        note=(
            "Microsoft headlines 'capital expenditures including assets acquired under "
            "finance leases'. Its lease note tags those additions as "
            "RightOfUseAssetObtainedInExchangeForFinanceLeaseLiability ('right-of-use assets "
            "obtained in exchange for lease obligations: finance leases'); that non-cash "
            "addition, not FinanceLeasePrincipalPayments (the later repayment), is what "
            "its table adds to cash PP&E."
        ),
    ),
    1326801: CapexDefinition(
        label="Meta",
        headline_tags=(FINANCE_LEASE_PRINCIPAL_TAG,),
        headline_label="capital expenditures including principal payments on finance leases",
        note=(
            "Meta headlines purchases of property and equipment plus principal payments on "
            "finance leases, both lines of its cash-flow statement."
        ),
    ),
    1018724: CapexDefinition(
        label="Amazon",
        cash_tags=(PPE_TAG, PRODUCTIVE_ASSETS_TAG),
        note=(
            "Amazon tags 'Purchases of property and equipment' as "
            "PaymentsToAcquireProductiveAssets; the standard tag is tried first so a "
            "future switch to it is picked up."
        ),
    ),
}


def definition_for(cik: int) -> CapexDefinition:
    """The capex definition for ``cik``, or the default (cash PP&E only)."""
    return DEFINITIONS.get(int(cik), DEFAULT_DEFINITION)


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def cik_filename(cik: int) -> str:
    """The SEC's file name for a company: ``CIK`` and the CIK zero-padded to 10 digits."""
    return f"CIK{_cik10(cik)}.json"


def _cik10(cik: int | str) -> str:
    try:
        number = int(str(cik).strip())
    except ValueError:
        raise SecError(f"CIK '{cik}' is not a number.") from None
    if not 0 < number < 10**10:
        raise SecError(f"CIK {number} is outside the SEC's 10-digit range.")
    return f"{number:010d}"


def _parse_json(raw: bytes, where: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SecError(f"{where} is not valid JSON ({exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("facts", {}), dict):
        raise SecError(f"{where} is not in the SEC companyfacts shape.")
    return data


def _check_cik(data: Mapping[str, Any], cik: int, where: str) -> None:
    declared = data.get("cik")
    if declared is not None and int(declared) != cik:
        raise SecError(f"{where} declares CIK {declared}, not the {cik} its name says.")


def load_companyfacts_dir(path: str | Path) -> dict[int, dict[str, Any]]:
    """Read every ``CIK##########.json`` in a folder (e.g. an unpacked bulk download).

    Other files are ignored so that the folder can also hold notes or the zip itself.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise SecError(f"companyfacts folder {folder} does not exist.")
    out: dict[int, dict[str, Any]] = {}
    for file in sorted(folder.iterdir()):
        m = _CIK_FILE.match(file.name)
        if not m or not file.is_file():
            continue
        cik = int(m[1])
        data = _parse_json(file.read_bytes(), f"companyfacts file {file}")
        _check_cik(data, cik, f"companyfacts file {file}")
        out[cik] = data
    return out


def load_companyfacts_zip(
    path: str | Path, ciks: Iterable[int] | None = None
) -> dict[int, dict[str, Any]]:
    """Read companyfacts files from the SEC's bulk ``companyfacts.zip``.

    The bulk archive holds every filer (well over a gigabyte unpacked), so with ``ciks`` only
    those members are decompressed. CIKs absent from the archive are simply not in the result;
    the caller decides whether that is an error.
    """
    archive = Path(path)
    wanted = None if ciks is None else {int(c) for c in ciks}
    out: dict[int, dict[str, Any]] = {}
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                m = _CIK_FILE.match(Path(info.filename).name)
                if not m or info.is_dir():
                    continue
                cik = int(m[1])
                if wanted is not None and cik not in wanted:
                    continue
                where = f"{info.filename} in {archive}"
                data = _parse_json(zf.read(info), where)
                _check_cik(data, cik, where)
                out[cik] = data
    except FileNotFoundError:
        raise SecError(f"companyfacts archive {archive} does not exist.") from None
    except zipfile.BadZipFile:
        raise SecError(f"companyfacts archive {archive} is not a readable zip file.") from None
    return out


class RateLimiter:
    """Spaces calls at least ``1 / max_per_second`` apart.

    The SEC allows at most 10 requests per second per client and blocks clients that exceed
    it, so requests are spaced evenly rather than sent in bursts. The clock and sleep are
    injectable so tests need not wait; a lock makes one limiter safe to share among threads.
    """

    def __init__(
        self,
        max_per_second: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_per_second <= 0:
            raise ValueError("max_per_second must be positive")
        self.interval = 1.0 / max_per_second
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until another request may be sent, then claim that slot."""
        with self._lock:
            now = self._clock()
            if self._next is not None and now < self._next:
                self._sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


@dataclass
class SecSession:
    """The transport for :func:`fetch_companyfacts`, shared across calls.

    Sharing one session keeps the rate limit across many CIKs. ``opener`` has the signature
    of ``urllib.request.urlopen`` (tests inject a fake), ``sleep`` is used for backoff.
    """

    opener: Callable[..., Any] = urllib.request.urlopen
    limiter: RateLimiter = field(default_factory=RateLimiter)
    sleep: Callable[[float], None] = time.sleep
    max_tries: int = 4
    backoff_seconds: float = 1.0
    timeout: float = 30.0


def check_user_agent(user_agent: str | None) -> str:
    """Refuse to contact the SEC without a declared User-Agent that names a contact.

    The SEC's fair-access policy requires one ("Company Name admin@example.com") and blocks
    anonymous clients, so failing here early is kinder than a 403 later.
    """
    agent = (user_agent or "").strip()
    if not agent:
        raise SecError(
            "SEC requires a declared User-Agent such as 'Capex Tracker admin@example.com'; "
            "set one before fetching."
        )
    if not _CONTACT.search(agent):
        raise SecError(
            f"User-Agent '{agent}' has no contact e-mail, which the SEC requires; "
            "use e.g. 'Capex Tracker admin@example.com'."
        )
    return agent


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return min(float(value), _MAX_RETRY_AFTER_SECONDS) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def fetch_companyfacts(
    cik: int, user_agent: str, session: SecSession | None = None
) -> dict[str, Any]:
    """Download one company's companyfacts JSON from data.sec.gov.

    Requests are rate limited, ask for gzip (the files are large and compress ~10x), and are
    retried with exponential backoff on 429/503, which the SEC uses for throttling and
    maintenance. Any other failure raises :class:`SecError` naming the CIK and the way out.
    """
    agent = check_user_agent(user_agent)
    cik10 = _cik10(cik)
    session = session or SecSession()
    url = COMPANYFACTS_URL.format(cik=int(cik10))
    request = urllib.request.Request(
        url,
        headers={"User-Agent": agent, "Accept-Encoding": "gzip", "Accept": "application/json"},
    )

    def failed(reason: str) -> SecError:
        return SecError(
            f"could not fetch SEC companyfacts for CIK {cik10}: {reason}; "
            "check the network or use --from-dir"
        )

    tries = max(1, session.max_tries)
    for attempt in range(1, tries + 1):
        session.limiter.wait()
        try:
            response = session.opener(request, timeout=session.timeout)
            try:
                body = response.read()
                encoding = (response.headers.get("Content-Encoding") or "").lower()
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code} {exc.reason}"
            if exc.code in _RETRY_STATUSES and attempt < tries:
                delay = _retry_after(exc.headers)
                session.sleep(
                    delay if delay is not None else session.backoff_seconds * 2 ** (attempt - 1)
                )
                continue
            if exc.code in _RETRY_STATUSES:
                reason += f" after {tries} tries"
            raise failed(reason) from None
        except urllib.error.URLError as exc:
            raise failed(str(exc.reason)) from None
        except (OSError, http.client.HTTPException) as exc:
            raise failed(str(exc) or type(exc).__name__) from None
        if encoding == "gzip" or body[:2] == b"\x1f\x8b":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError) as exc:
                raise failed(f"the gzip response is corrupt ({exc})") from None
        try:
            data = _parse_json(body, "the response")
        except SecError:
            raise failed("the response is not companyfacts JSON") from None
        _check_cik(data, int(cik10), f"the SEC response for CIK {cik10}")
        return data
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One reported duration value, after choosing among the filings that reported it."""

    tag: str
    start: date
    end: date
    val: float
    accn: str
    filed: date
    form: str

    @property
    def quarters(self) -> int | None:
        """Length in whole quarters (1, 2, 3, 4 ...), or None for odd lengths."""
        return _quarters_between(self.start, self.end)


@dataclass(frozen=True)
class PeriodValue:
    """A fiscal quarter's (or year's) value and the facts it was computed from.

    ``accn``/``filed`` are those of the latest-filed fact used, because that is the filing
    that made the value what it is (an amendment, or the 10-K that closes the year).
    """

    tag: str
    fiscal_year: int
    fiscal_quarter: int | None
    start: date
    end: date
    value: float
    sources: tuple[Fact, ...]

    @property
    def derived(self) -> bool:
        return len(self.sources) > 1

    @property
    def latest(self) -> Fact:
        return max(self.sources, key=lambda f: (f.filed, f.accn))

    @property
    def accn(self) -> str:
        return self.latest.accn

    @property
    def filed(self) -> date:
        return self.latest.filed


def _quarters_between(start: date, end: date) -> int | None:
    days = (end - start).days + 1
    n = round(days / _DAYS_PER_QUARTER)
    if n < 1 or abs(days - n * _DAYS_PER_QUARTER) > _QUARTER_SLACK_DAYS:
        return None
    return n


def _cik_of(companyfacts: Mapping[str, Any]) -> int:
    try:
        return int(companyfacts["cik"])
    except (KeyError, TypeError, ValueError):
        raise SecError("companyfacts JSON has no numeric 'cik'.") from None


def _parse_entry(entry: Mapping[str, Any], tag: str, cik: int) -> Fact | None:
    if "start" not in entry:
        return None  # an instant (balance-sheet) fact: not a flow over a period
    if entry.get("form") not in PERIODIC_FORMS:
        return None
    try:
        fact = Fact(
            tag=tag,
            start=date.fromisoformat(entry["start"]),
            end=date.fromisoformat(entry["end"]),
            val=entry["val"],
            accn=str(entry["accn"]),
            filed=date.fromisoformat(entry["filed"]),
            form=str(entry["form"]),
        )
    except (KeyError, TypeError, ValueError):
        raise SecError(f"CIK {cik} has a malformed {tag} fact: {dict(entry)}.") from None
    if not isinstance(fact.val, int | float) or fact.end < fact.start:
        raise SecError(f"CIK {cik} has a malformed {tag} fact: {dict(entry)}.")
    return fact


def duration_facts(
    companyfacts: Mapping[str, Any], tag: str, taxonomy: str = "us-gaap", unit: str = "USD"
) -> list[Fact]:
    """USD duration facts for ``tag``, one per (start, end), sorted by period.

    The same period is reported by many filings (comparatives, amendments). The value filed
    last wins, so a 10-Q/A or 10-K/A replaces what it corrects (ties on the filing date go to
    the higher accession number, to be deterministic). The fact kept is the *first* filing
    of that final value: a comparative that merely repeats a figure does not move its source
    to next year's report, so a re-sync does not churn provenance.
    """
    cik = _cik_of(companyfacts)
    entries = (
        companyfacts.get("facts", {}).get(taxonomy, {}).get(tag, {}).get("units", {}).get(unit, [])
    )
    by_period: dict[tuple[date, date], list[Fact]] = {}
    for entry in entries:
        fact = _parse_entry(entry, tag, cik)
        if fact is not None:
            by_period.setdefault((fact.start, fact.end), []).append(fact)
    out = []
    for period in sorted(by_period):
        reports = sorted(by_period[period], key=lambda f: (f.filed, f.accn))
        chosen = reports[-1]
        for earlier in reversed(reports[:-1]):
            if earlier.val != chosen.val:
                break
            chosen = earlier
        out.append(chosen)
    return out


# --------------------------------------------------------------------------------------
# Fiscal calendar and quarters
# --------------------------------------------------------------------------------------


def _one_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@dataclass(frozen=True)
class FiscalYear:
    """A fiscal year's first day, last day and name (the calendar year of its last month)."""

    start: date
    end: date
    year: int


def _nominal_first_month(day: date) -> date:
    """First month of a period starting on ``day``; late starts (52/53-week years) round up."""
    if day.day > 15:
        return (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return day.replace(day=1)


def _nominal_last_month(day: date) -> date:
    """Last month of a period ending on ``day``; early ends (52/53-week years) round down."""
    if day.day < 15:
        return (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    return day.replace(day=1)


def fiscal_years(facts: Iterable[Fact]) -> list[FiscalYear]:
    """The company's fiscal years, from the period lengths of its facts alone.

    10-K-length facts (about twelve months) fix a year's start and end, and the day after
    the latest one starts the year in progress. Six- and nine-month facts are year-to-date
    figures, so their start is a fiscal-year start too, but only where no twelve-month fact
    already covers that date: that keeps a stray half-year figure from splitting a year.
    """
    facts = list(facts)
    annual = sorted({(f.start, f.end) for f in facts if f.quarters == 4})
    known: dict[date, date | None] = {}  # start -> end, None while no 10-K closes the year
    for start, end in annual:
        known.setdefault(start, end)
    for _, end in annual:
        known.setdefault(end + timedelta(days=1), None)

    def covered(day: date) -> bool:
        return any(
            s <= day <= (e or _one_year_later(s) - timedelta(days=1)) for s, e in known.items()
        )

    for f in sorted(facts, key=lambda f: f.start):
        if f.quarters in (2, 3) and not covered(f.start):
            known[f.start] = None
    starts = sorted(known)
    years = []
    for i, start in enumerate(starts):
        year_end = known[start]
        if year_end is None:  # year in progress: up to the next start, at most a nominal year
            year_end = _one_year_later(start) - timedelta(days=1)
            if i + 1 < len(starts):
                year_end = min(year_end, starts[i + 1] - timedelta(days=1))
        years.append(FiscalYear(start, year_end, _nominal_last_month(year_end).year))
    return years


def _fiscal_year_of(fact: Fact, years: Sequence[FiscalYear]) -> FiscalYear | None:
    for fy in reversed(years):
        if fy.start <= fact.start:
            return fy if fact.end <= fy.end + timedelta(days=_QUARTER_SLACK_DAYS) else None
    return None


def derive_periods(
    facts: Sequence[Fact], years: Sequence[FiscalYear] | None = None
) -> tuple[list[PeriodValue], list[PeriodValue]]:
    """Fiscal quarters and fiscal years of one tag's facts: ``(quarters, years)``.

    A three-month fact is a quarter as reported. Otherwise quarter k is the year-to-date
    figure through k minus the one through k-1 (Q2 = H1 - Q1, Q3 = 9M - H1, Q4 = FY - 9M);
    a missing year-to-date figure is rebuilt from quarters already known, so a company
    that reports Q1, Q2 and Q3 as three-month facts still gets Q4 = FY - (Q1 + Q2 + Q3).
    ``years`` lets several tags share one calendar; by default it comes from ``facts``.
    """
    years = list(years) if years is not None else fiscal_years(facts)
    grouped: dict[FiscalYear, tuple[dict[int, Fact], dict[int, Fact]]] = {}
    for fact in facts:
        n = fact.quarters
        fy = _fiscal_year_of(fact, years) if n is not None else None
        if fy is None or n is None:
            continue
        k = _quarters_between(fy.start, fact.end)
        if k is None or not 1 <= k <= 4:
            continue
        direct, cumulative = grouped.setdefault(fy, ({}, {}))
        if fact.start == fy.start and n == k:
            cumulative[k] = fact
        if n == 1:
            direct[k] = fact

    quarters: list[PeriodValue] = []
    annuals: list[PeriodValue] = []
    for fy, (direct, cumulative) in sorted(grouped.items(), key=lambda kv: kv[0].start):
        tag = facts[0].tag
        # running year-to-date: value, sources and last day through quarter k
        ytd: dict[int, tuple[float, tuple[Fact, ...], date]] = {
            0: (0, (), fy.start - timedelta(days=1))
        }
        for k in range(1, 5):
            q: PeriodValue | None = None
            if k in direct:
                f = direct[k]
                q = PeriodValue(tag, fy.year, k, f.start, f.end, f.val, (f,))
            elif k in cumulative and k - 1 in ytd:
                f = cumulative[k]
                prev_val, prev_src, prev_end = ytd[k - 1]
                q = PeriodValue(
                    tag,
                    fy.year,
                    k,
                    prev_end + timedelta(days=1),
                    f.end,
                    f.val - prev_val,
                    (f, *prev_src),
                )
            if q is not None:
                quarters.append(q)
            if k in cumulative:
                f = cumulative[k]
                ytd[k] = (f.val, (f,), f.end)
            elif q is not None and k - 1 in ytd:
                prev_val, prev_src, _ = ytd[k - 1]
                ytd[k] = (prev_val + q.value, (*prev_src, *q.sources), q.end)
        if 4 in cumulative:
            f = cumulative[4]
            annuals.append(PeriodValue(tag, fy.year, None, f.start, f.end, f.val, (f,)))
    return quarters, annuals


# --------------------------------------------------------------------------------------
# Output tables
# --------------------------------------------------------------------------------------


def _as_tags(tags: str | Sequence[str]) -> tuple[str, ...]:
    return (tags,) if isinstance(tags, str) else tuple(tags)


def _periods_by_tag(
    companyfacts: Mapping[str, Any], tags: Sequence[str]
) -> tuple[dict[str, list[PeriodValue]], dict[str, list[PeriodValue]]]:
    """Quarters and years per tag, all on one fiscal calendar built from every tag's facts."""
    facts = {tag: duration_facts(companyfacts, tag) for tag in dict.fromkeys(tags)}
    years = fiscal_years(f for tag_facts in facts.values() for f in tag_facts)
    quarters: dict[str, list[PeriodValue]] = {}
    annuals: dict[str, list[PeriodValue]] = {}
    for tag, tag_facts in facts.items():
        quarters[tag], annuals[tag] = derive_periods(tag_facts, years)
    return quarters, annuals


def _first_available(
    per_tag: Mapping[str, list[PeriodValue]], tags: Sequence[str]
) -> dict[tuple[int, int | None], PeriodValue]:
    """Per period, the value of the first tag (in priority order) that has one."""
    out: dict[tuple[int, int | None], PeriodValue] = {}
    for tag in tags:
        for pv in per_tag.get(tag, []):
            out.setdefault((pv.fiscal_year, pv.fiscal_quarter), pv)
    return out


def source_url(cik: int, accn: str) -> str:
    """The EDGAR filing index page of an accession, where a reader can open the filing."""
    return FILING_INDEX_URL.format(cik=int(cik), accn_digits=accn.replace("-", ""), accn=accn)


def _period_columns(cik: int, entity: str, pv: PeriodValue) -> dict[str, Any]:
    row: dict[str, Any] = {
        "cik": cik,
        "entity": entity,
        "fiscal_year": pv.fiscal_year,
        "fiscal_quarter": pv.fiscal_quarter,
        "start": pv.start,
        "end": pv.end,
        "first_month": _nominal_first_month(pv.start).strftime("%Y-%m"),
        "last_month": _nominal_last_month(pv.end).strftime("%Y-%m"),
    }
    return row


def _provenance(cik: int, sources: Iterable[Fact]) -> dict[str, Any]:
    latest = max(sources, key=lambda f: (f.filed, f.accn))
    return {"accn": latest.accn, "filed": latest.filed, "source_url": source_url(cik, latest.accn)}


def _capex_table(
    companyfacts: Mapping[str, Any], definition: CapexDefinition, annual: bool
) -> pd.DataFrame:
    cik = _cik_of(companyfacts)
    entity = str(companyfacts.get("entityName", ""))
    quarters, annuals = _periods_by_tag(
        companyfacts, (*definition.cash_tags, *definition.headline_tags)
    )
    per_tag = annuals if annual else quarters
    cash = _first_available(per_tag, definition.cash_tags)
    additions = [_first_available(per_tag, (tag,)) for tag in definition.headline_tags]
    rows = []
    for key, pv in sorted(cash.items(), key=lambda kv: kv[1].start):
        parts = [pv]
        found = [a[key] for a in additions if key in a]
        headline = float("nan")
        if len(found) == len(additions):
            parts += found
            headline = sum(p.value for p in parts) / 1e9
        row = _period_columns(cik, entity, pv)
        row["cash_capex_usd_bn"] = pv.value / 1e9
        row["headline_capex_usd_bn"] = headline
        row["tags"] = "+".join(p.tag for p in parts)
        row.update(_provenance(cik, (f for p in parts for f in p.sources)))
        rows.append(row)
    columns = ANNUAL_CAPEX_COLUMNS if annual else CAPEX_COLUMNS
    return pd.DataFrame(rows, columns=columns)


def quarterly_capex(
    companyfacts: Mapping[str, Any], definition: CapexDefinition | None = None
) -> pd.DataFrame:
    """One row per fiscal quarter of reported capex, in USD billions.

    ``cash_capex_usd_bn`` is the cash-flow figure; ``headline_capex_usd_bn`` adds the
    definition's ``headline_tags`` and is NaN when one of them has no value for the quarter
    (an understated headline would be worse than a visible gap; ``tags`` then names only
    what was found). ``accn``/``filed``/``source_url`` point at the latest-filed fact used.
    ``definition`` defaults to :func:`definition_for` the company's CIK.
    """
    definition = definition or definition_for(_cik_of(companyfacts))
    return _capex_table(companyfacts, definition, annual=False)


def annual_capex(
    companyfacts: Mapping[str, Any], definition: CapexDefinition | None = None
) -> pd.DataFrame:
    """One row per fiscal year with a 10-K-length fact, same columns minus ``fiscal_quarter``.

    Quarters cannot be derived for years whose 10-Qs predate the data (or were never
    tagged), but the 10-K's full-year figure still can fill such years.
    """
    definition = definition or definition_for(_cik_of(companyfacts))
    return _capex_table(companyfacts, definition, annual=True)


def _metric_table(
    companyfacts: Mapping[str, Any], tags: str | Sequence[str], annual: bool
) -> pd.DataFrame:
    cik = _cik_of(companyfacts)
    entity = str(companyfacts.get("entityName", ""))
    tags = _as_tags(tags)
    quarters, annuals = _periods_by_tag(companyfacts, tags)
    picked = _first_available(annuals if annual else quarters, tags)
    rows = []
    for pv in sorted(picked.values(), key=lambda pv: pv.start):
        row = _period_columns(cik, entity, pv)
        row["value_usd_bn"] = pv.value / 1e9
        row["tag"] = pv.tag
        row.update(_provenance(cik, pv.sources))
        rows.append(row)
    return pd.DataFrame(rows, columns=ANNUAL_METRIC_COLUMNS if annual else METRIC_COLUMNS)


def quarterly_metric(companyfacts: Mapping[str, Any], tags: str | Sequence[str]) -> pd.DataFrame:
    """Fiscal quarters of any USD duration fact (revenue, operating cash flow), in USD bn.

    ``tags`` are alternatives in priority order, e.g. :data:`REVENUE_TAGS`. Reported
    three-month figures (revenue usually has them) are preferred to differenced
    year-to-date ones (operating cash flow usually has only those).
    """
    return _metric_table(companyfacts, tags, annual=False)


def annual_metric(companyfacts: Mapping[str, Any], tags: str | Sequence[str]) -> pd.DataFrame:
    """Fiscal-year totals of a USD duration fact, to fill years without quarter detail."""
    return _metric_table(companyfacts, tags, annual=True)
