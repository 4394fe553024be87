"""Filing-linked actuals: SEC companyfacts into announcements, and checks against them.

Each fiscal quarter :mod:`tracker.sec` derives becomes an ``actual`` announcement (scope
total capex, the quarter's months as period, announced on the filing date, the EDGAR
filing as source, the XBRL tags in the notes) keyed by ``sec:<cik>:<start>:<end>`` so
a re-run updates its own row (with history) instead of adding another. A synced
quarter supersedes a hand-entered actual for exactly the same months. Revenue and
operating cash flow land in ``filing_metric`` for capex-intensity ratios.

Everything is fetched or read first and written in one transaction: a network failure
half-way leaves the database unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import pandas as pd
from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from tracker import queries, sec, service
from tracker.errors import ValidationFailed
from tracker.fx import default_fx
from tracker.models import FilingMetric
from tracker.schema import NAMES
from tracker.validation import duplicate_key, validate_frame
from tracker.vocab import Evidence, Kind, Qualifier, Scope, SourceType

SYNC_USER = "sec-sync"
METRICS = {"revenue": sec.REVENUE_TAGS, "operating_cash_flow": sec.OPERATING_CASH_FLOW_TAGS}


@dataclass
class SyncReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    metrics: int = 0
    per_company: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [
            f"{self.inserted} filing figure(s) added, {self.updated} updated, {self.unchanged} "
            f"unchanged; {self.metrics} revenue/cash-flow figure(s)"
        ]
        lines += [
            f"  {name}: {n} quarter(s) and fiscal year(s)"
            for name, n in sorted(self.per_company.items())
        ]
        lines += [f"  skipped: {s}" for s in self.skipped]
        return "\n".join(lines)


def external_key(cik: int, start: date, end: date) -> str:
    return f"sec:{cik}:{start.isoformat()}:{end.isoformat()}"


def filing_rows(
    company: Mapping[str, Any], facts: Mapping[str, Any]
) -> tuple[pd.DataFrame, list[str]]:
    """Raw announcement rows (schema columns plus ``external_key``) for one company's
    fiscal quarters and fiscal years from its filings, and what was skipped and why.

    Fiscal years are synced too: normalization lets the quarters win their months and
    the year fills only the months no quarter covers, with what the quarters leave
    (e.g. Microsoft's FY2024, whose quarters carry no finance-lease figure)."""
    cik = int(company["cik"])
    definition = sec.definition_for(cik)
    quarters = sec.quarterly_capex(facts, definition)
    years = sec.annual_capex(facts, definition)
    quarters["label"] = (
        "fiscal "
        + quarters["fiscal_year"].astype(str)
        + " Q"
        + quarters["fiscal_quarter"].astype(str)
    )
    years["label"] = "fiscal year " + years["fiscal_year"].astype(str)
    table = pd.concat([quarters, years], ignore_index=True)
    skipped: list[str] = []
    missing = table["headline_capex_usd_bn"].isna()
    skipped += [
        f"{company['name']} {r.label} ({r.first_month} to {r.last_month}): no figure for "
        f"{definition.headline_label} in the filings (cash capex alone would mix definitions)"
        for r in table[missing].itertuples()
    ]
    table = table[~missing]
    rows = pd.DataFrame(
        {
            "company": company["name"],
            "kind": Kind.ACTUAL.value,
            "scope": Scope.TOTAL_CAPEX.value,
            "period": table["first_month"] + "/" + table["last_month"],
            "amount_low": table["headline_capex_usd_bn"].map(lambda v: f"{v:.6g}"),
            "amount_high": "",
            "currency": "USD",
            "qualifier": Qualifier.EXACT.value,
            "announced_on": table["filed"].map(lambda d: d.isoformat()),
            "source_url": table["source_url"],
            "source_type": SourceType.FILING.value,
            "evidence": Evidence.COMPANY.value,
            "notes": (
                "SEC XBRL, "
                + table["label"]
                + ", accession "
                + table["accn"]
                + ": "
                + definition.headline_label
                + " ("
                + table["tags"]
                + "); cash capex "
                + table["cash_capex_usd_bn"].map(lambda v: f"{v:.3f}")
                + " bn."
            ),
            "external_key": [
                external_key(cik, s, e) for s, e in zip(table["start"], table["end"], strict=True)
            ],
        }
    )
    return rows, skipped


def metric_rows(company_id: int, facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for metric, tags in METRICS.items():
        table = sec.quarterly_metric(facts, tags)
        for r in table.itertuples():
            out.append(
                {
                    "company_id": company_id,
                    "metric": metric,
                    "period_start": r.start,
                    "period_end": r.end,
                    "value_usd_bn": float(cast(float, r.value_usd_bn)),
                    "source_url": r.source_url,
                    "filed_on": r.filed,
                }
            )
    return out


def apply(
    session: Session, facts_by_cik: Mapping[int, Mapping[str, Any]], today: date | None = None
) -> SyncReport:
    """Write synced quarters and metrics for every tracked company with a CIK."""
    report = SyncReport()
    conn = session.connection()
    companies = queries.companies_frame(conn)
    companies = companies[companies["cik"].fillna("") != ""]
    stored = queries.announcements_frame(conn)
    by_key = stored[stored["external_key"].notna()].set_index("external_key")
    hand = stored[stored["external_key"].isna() & (stored["kind"] == Kind.ACTUAL.value)]
    new_rows: list[pd.DataFrame] = []
    for company in cast(list[dict[str, Any]], companies.to_dict("records")):
        facts = facts_by_cik.get(int(company["cik"]))
        if facts is None:
            report.skipped.append(
                f"{company['name']}: no companyfacts file for CIK {company['cik']}"
            )
            continue
        rows, skipped = filing_rows(company, facts)
        report.skipped += skipped
        report.per_company[str(company["name"])] = len(rows)
        for row in rows.to_dict("records"):
            if row["external_key"] in by_key.index:
                current = by_key.loc[row["external_key"]]
                changes = {
                    k: row[k]
                    for k in ("amount_low", "announced_on", "source_url", "notes")
                    if _text(current[k], k) != row[k]
                }
                if changes:
                    changes["amount_high"] = row["amount_low"]
                    service.update(session, int(current["id"]), changes, SYNC_USER, today=today)
                    report.updated += 1
                else:
                    report.unchanged += 1
            else:
                new_rows.append(pd.DataFrame([row]))
        session.execute(
            delete(FilingMetric).where(col(FilingMetric.company_id) == int(company["id"]))
        )
        metrics = metric_rows(int(company["id"]), facts)
        if metrics:
            session.execute(insert(FilingMetric), metrics)
        report.metrics += len(metrics)
    if new_rows:
        report.inserted += _insert_new(
            session, pd.concat(new_rows, ignore_index=True), hand, companies, today
        )
    return report


def _text(value: Any, name: str) -> str:
    if name == "announced_on":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if name == "amount_low":
        return f"{float(value):.6g}"
    return str(value)


def _insert_new(
    session: Session,
    rows: pd.DataFrame,
    hand: pd.DataFrame,
    companies: pd.DataFrame,
    today: date | None,
) -> int:
    """Validate and insert new synced quarters; each supersedes the hand-entered actual
    for exactly the same months, if there is one."""
    raw = rows.reindex(columns=list(NAMES), fill_value="")
    result = validate_frame(
        raw, queries.companies_frame(session.connection()), default_fx(), today, first_line=1
    )
    if not result.ok:
        raise ValidationFailed(result, "the SEC data could not be used; nothing was saved")
    valid = result.valid
    valid["external_key"] = rows["external_key"].to_numpy()
    span = hand.assign(
        start=hand["period_start"].dt.date, end=hand["period_end"].dt.date
    ).set_index(["company", "start", "end"])["id"]
    span = span[~span.index.duplicated(keep="last")]
    keys = pd.MultiIndex.from_arrays([valid["company"], valid["period_start"], valid["period_end"]])
    valid["supersedes"] = pd.array(span.reindex(keys).to_numpy(), dtype="Int64")
    # Drop exact repeats of stored rows (the same figure typed in by hand on the filing day).
    stored = queries.announcements_frame(session.connection())
    repeat = duplicate_key(valid).isin(set(duplicate_key(stored)))
    valid = valid[~repeat.to_numpy()]
    return service.save(session, valid, SYNC_USER).inserted


def sync(
    engine: Engine, facts_by_cik: Mapping[int, Mapping[str, Any]], today: date | None = None
) -> SyncReport:
    return service.write(engine, "save the SEC data", lambda s: apply(s, facts_by_cik, today))


def fetch_all(
    ciks: list[int], user_agent: str, progress: Callable[[str], None] = lambda _m: None
) -> dict[int, dict[str, Any]]:
    """Download companyfacts for each CIK (rate-limited); any failure raises before
    anything is written."""
    session = sec.SecSession()
    out: dict[int, dict[str, Any]] = {}
    for i, cik in enumerate(ciks, 1):
        progress(f"[{i}/{len(ciks)}] CIK {cik:010d}")
        out[cik] = sec.fetch_companyfacts(cik, user_agent, session)
    return out


def tracked_ciks(bind: queries.Bind) -> list[int]:
    companies = queries.companies_frame(bind)
    return sorted(int(c) for c in companies["cik"].dropna() if str(c).strip())


def reconcile(announcements: pd.DataFrame, tolerance: float = 0.01) -> pd.DataFrame:
    """Hand-entered annual actuals against the sum of the quarters inside them (synced
    filing figures where there are, else hand-entered): one row per annual actual fully
    covered by four quarters, with ``ok`` when within ``tolerance`` (1 %)."""
    actual = announcements[announcements["kind"] == Kind.ACTUAL.value]
    months = (actual["period_end"].dt.year * 12 + actual["period_end"].dt.month) - (
        actual["period_start"].dt.year * 12 + actual["period_start"].dt.month
    )
    # Quarters: a synced filing figure where there is one, else the hand-entered one.
    quarters = (
        actual[months == 2]
        .assign(synced=actual["external_key"].notna())
        .sort_values(["synced", "announced_on"])
        .drop_duplicates(["company", "period_start"], keep="last")
    )
    synced = quarters
    annual = actual[actual["external_key"].isna() & (months == 11)]
    rows = []
    for a in annual.itertuples():
        inside = synced[
            (synced["company"] == a.company)
            & (synced["period_start"] >= a.period_start)
            & (synced["period_end"] <= a.period_end)
        ]
        if len(inside) != 4:
            continue
        total = float(inside["amount_low"].sum())
        diff = total / a.amount_low - 1
        rows.append(
            {
                "company": a.company,
                "period": a.period,
                "reported_usd_bn": a.amount_low,
                "sum_of_quarters_usd_bn": round(total, 3),
                "diff_%": round(diff * 100, 2),
                "ok": abs(diff) <= tolerance,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["company", "period", "reported_usd_bn", "sum_of_quarters_usd_bn", "diff_%", "ok"],
    )
