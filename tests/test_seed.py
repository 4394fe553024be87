"""The curated seed: real, sourced, and loaded on first use."""

from datetime import date

import pandas as pd

from tracker import repository as repo
from tracker.config import seed_path
from tracker.db import get_engine, init_db


def test_seed_has_at_least_twenty_sourced_announcements_from_2024_to_2026():
    seed = pd.read_csv(seed_path(), dtype=str, keep_default_na=False)
    assert len(seed) >= 20
    assert seed["source_url"].str.startswith("https://").all()
    dates = pd.to_datetime(seed["announced_on"], format="%Y-%m-%d")
    assert dates.between("2024-01-01", "2026-12-31").all()
    expected = {
        "Alibaba",
        "Microsoft",
        "Meta",
        "Amazon",
        "Alphabet",
        "Oracle",
        "Tencent",
        "Apple",
        "Stargate",
    }
    assert expected <= set(seed["company"])
    # Ranges and guidance say so in the notes.
    ranges = seed[seed["amount_low"] != seed["amount_high"]]
    assert ranges["notes"].str.contains("range", case=False).all()
    guidance = seed[seed["kind"] == "guidance"]
    assert guidance["notes"].str.contains("Guidance", case=False).all()


def test_seed_loads_completely_on_first_use(configured_env):
    engine = get_engine()
    frame = repo.announcements_frame(engine)
    assert len(frame) == len(pd.read_csv(seed_path()))
    companies = repo.companies_frame(engine).set_index("name")
    assert companies.loc["Microsoft", "fiscal_year_end_month"] == 6
    assert companies.loc["Alibaba", "country"] == "CN"


def test_seed_is_not_loaded_twice(seeded_engine):
    init_db(seeded_engine)
    assert len(repo.announcements_frame(seeded_engine)) == len(pd.read_csv(seed_path()))


def test_seed_headline_figures(seeded_engine):
    from tracker.normalize import annual_view

    view = annual_view(repo.announcements_frame(seeded_engine), date(2025, 3, 1))
    h = view.headline.set_index(["company", "year"])
    assert h.loc[("Alibaba", 2025), "mid"] == pytest_approx(17.617)
    assert h.loc[("Meta", 2025), "low"] == pytest_approx(60)
    assert h.loc[("Meta", 2025), "high"] == pytest_approx(65)
    basis = view.by_basis.set_index(["company", "kind", "year"])
    # Microsoft's USD 80bn FY2025 guidance: half in calendar 2024, half in 2025.
    assert basis.loc[("Microsoft", "guidance", 2025), "mid"] == pytest_approx(40)


def pytest_approx(value):
    import pytest

    return pytest.approx(value, abs=1e-3)
