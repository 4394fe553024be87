"""Synthetic announcements in the CSV import format, for the benchmark.

Hundreds of companies (each reporting in its own currency, a few joint ventures),
quarterly and annual actuals, guidance with revisions, fiscal years, multi-year pledges
and investment programmes, qualifiers, press reports and explicit supersedes links.
Every non-USD figure falls inside the FX table (monthly 2019-01 .. 2026-10): periods of
actuals end by 2025, announcement dates lie in 2019-01-01 .. 2026-10-31, so no figure is
left out for a missing rate.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from tracker.schema import NAMES

TODAY = date(2026, 11, 25)
FIRST_DAY = pd.Timestamp("2019-01-01")
LAST_DAY = pd.Timestamp("2026-10-31")
CURRENCIES = np.array(["USD"] * 12 + ["CNY", "EUR", "JPY", "GBP", "KRW", "INR", "CAD"])
COUNTRY = {"USD": "US", "CNY": "CN", "EUR": "DE", "JPY": "JP", "GBP": "GB", "KRW": "KR"}
COUNTRY |= {"INR": "IN", "CAD": "CA"}
SCOPES = np.array(["total_capex"] * 5 + ["ai_infrastructure"] * 2 + ["data_centers"])


def synthetic_announcements(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` distinct announcements (strings, as read from a CSV file), ids blank."""
    rng = np.random.default_rng(seed)
    companies = int(min(2000, max(20, n // 150)))
    names = np.array([f"Company {i:04d}" for i in range(companies)])
    fy_end = rng.choice([12, 12, 12, 6, 3, 9], companies)
    currency = rng.choice(CURRENCIES, companies)
    country = np.array([COUNTRY[c] for c in currency])
    venture = np.where(rng.random(companies) < 0.01, "Company 0000; Company 0001", "")
    c = rng.integers(0, companies, n)
    kind = rng.choice(["guidance", "actual", "pledge"], n, p=[0.55, 0.35, 0.10])
    # Actuals end by 2025 (the FX table ends 2026-10); plans reach 2026.
    year = np.where(kind == "actual", rng.integers(2020, 2026, n), rng.integers(2020, 2027, n))
    fiscal = rng.random(n) < 0.3
    quarter = (kind == "actual") & (rng.random(n) < 0.6)
    q = rng.integers(1, 5, n)
    span = rng.integers(2, 6, n)
    years = pd.Series(year).astype(str)
    quarter_label = (years + "-" + pd.Series(3 * q - 2).map("{:02d}".format) + "/") + (
        years + "-" + pd.Series(3 * q).map("{:02d}".format)
    )
    period = np.where(
        kind == "pledge",
        years + "-" + pd.Series(year + span - 1).astype(str),
        np.where(quarter, quarter_label, np.where(fiscal, "FY" + years, years)),
    )
    low = np.round(rng.lognormal(1.5, 1.2, n), 3).clip(0.01, 900)
    is_range = (kind == "guidance") & (rng.random(n) < 0.4)
    high = np.where(is_range, np.round(low * rng.uniform(1.02, 1.3, n), 3), low)
    # Guidance is revised through the year before and during its year; actuals are
    # reported after their period; pledges near their start.
    start = pd.to_datetime(years + "-01-01")
    offset = np.select(
        [kind == "guidance", kind == "actual"],
        [rng.integers(-330, 330, n), rng.integers(380, 420, n)],
        rng.integers(-60, 60, n),
    )
    offset = np.where(quarter, (3 * q) * 30 + rng.integers(20, 40, n), offset)
    announced = start + pd.to_timedelta(offset, unit="D")
    announced = announced.clip(FIRST_DAY, LAST_DAY)
    scope = np.where(
        (kind == "pledge") & (rng.random(n) < 0.3), "total_investment", rng.choice(SCOPES, n)
    )
    qualifier = rng.choice(["exact"] * 7 + ["about", "at_least", "up_to"], n)
    evidence = np.where(rng.random(n) < 0.02, "press_report", "company")
    source_type = np.where(
        evidence == "press_report",
        "press_article",
        np.where(kind == "actual", "filing", "company_release"),
    )
    frame = pd.DataFrame(
        {
            "id": "",
            "version": "",
            "company": names[c],
            "ticker": "",
            "country": country[c],
            "fy_end_month": fy_end[c].astype(str),
            "cik": "",
            "venture_partners": venture[c],
            "kind": kind,
            "scope": scope,
            "period": period,
            "amount_low": pd.Series(low).map("{:g}".format),
            "amount_high": np.where(is_range, pd.Series(high).map("{:g}".format), ""),
            "currency": currency[c],
            "qualifier": qualifier,
            "announced_on": announced.dt.strftime("%Y-%m-%d"),
            "source_url": [f"https://example.com/ir/{i}" for i in range(n)],
            "source_type": source_type,
            "evidence": evidence,
            "supersedes": "",
            "notes": np.where(is_range, "Guidance range", ""),
        }
    )[list(NAMES)]
    key = ["company", "period", "announced_on", "amount_low", "amount_high", "currency"]
    frame = frame.drop_duplicates(key)
    assert len(frame) > 0.99 * n
    return frame.reset_index(drop=True)


def revisions(frame: pd.DataFrame, share: float = 0.01, seed: int = 11) -> pd.DataFrame:
    """New rows that explicitly supersede stored ones (``frame`` imported into an empty
    database, so its row ``i`` has id ``i + 1``): the same company, kind, scope and
    period with a changed amount, announced later."""
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(frame), size=max(1, int(len(frame) * share)), replace=False))
    out = frame.iloc[picked].copy()
    out["amount_low"] = (out["amount_low"].astype(float) * 1.0713).map("{:g}".format)
    high = out["amount_high"].where(out["amount_high"] == "", "")
    out["amount_high"] = high
    later = pd.to_datetime(out["announced_on"]) + pd.Timedelta(days=7)
    out["announced_on"] = later.clip(upper=LAST_DAY).dt.strftime("%Y-%m-%d")
    out["supersedes"] = (picked + 1).astype(str)
    out["source_url"] = [f"https://example.com/ir/revised/{i}" for i in picked]
    return out.reset_index(drop=True)
