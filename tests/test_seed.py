"""The product seed (data/seed.csv): properties only, never its figures, which change
whenever the data is brought up to date."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pandas as pd
import pytest

from tests.helpers import ROOT
from tracker import bootstrap, queries
from tracker.config import seed_path
from tracker.csv_io import read_announcements_csv
from tracker.fx import default_fx
from tracker.normalize import Inclusion, annual_view
from tracker.validation import COMPANY_COLUMNS, validate_frame
from tracker.vocab import Evidence, Kind, Qualifier, Scope, SourceType

SEED = ROOT / "data" / "seed.csv"


@pytest.fixture
def seed() -> pd.DataFrame:
    return read_announcements_csv(SEED)


@pytest.fixture
def product_env(monkeypatch, db_url):
    """The packaged seed and FX table, as a user gets them."""
    monkeypatch.delenv("CAPEX_SEED_PATH", raising=False)
    monkeypatch.delenv("CAPEX_FX_PATH", raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    bootstrap._engine_for.cache_clear()
    yield db_url
    bootstrap._engine_for.cache_clear()


def test_packaged_seed_is_the_repository_seed():
    packaged = resources.files("tracker") / "data" / "seed.csv"
    assert packaged.read_bytes() == SEED.read_bytes()


def test_every_row_is_sourced_dated_and_typed(seed):
    assert len(seed) > 0
    insecure = seed.loc[~seed["source_url"].str.startswith("https://"), "id"]
    assert insecure.empty, f"rows without an https source: {', '.join(insecure)}"
    dates = pd.to_datetime(seed["announced_on"], format="%Y-%m-%d")
    assert (dates <= pd.Timestamp(date.today())).all()
    for column, vocab in (
        ("kind", Kind),
        ("scope", Scope),
        ("qualifier", Qualifier),
        ("source_type", SourceType),
        ("evidence", Evidence),
    ):
        assert seed[column].isin(vocab.values()).all(), column


def test_seed_validates_without_errors(seed, monkeypatch):
    monkeypatch.delenv("CAPEX_FX_PATH", raising=False)
    result = validate_frame(
        seed,
        pd.DataFrame(columns=list(COMPANY_COLUMNS)),
        default_fx(),
        date.today(),
        seed.attrs["lines"],
    )
    assert result.ok, result.summary()
    assert len(result.valid) == len(seed)


def test_ids_are_unique_and_revisions_chain(seed):
    ids = pd.to_numeric(seed["id"])
    assert ids.is_unique and ids.notna().all()
    by_id = seed.assign(id=ids).set_index("id")
    links = seed[seed["supersedes"] != ""]
    for row in links.itertuples():
        target = int(row.supersedes)
        assert target in by_id.index, f"#{row.id} supersedes unknown #{target}"
        earlier = by_id.loc[target]
        # A revision replaces an earlier statement of the same company.
        assert earlier["company"] == row.company, row.id
        assert earlier["announced_on"] <= row.announced_on, row.id
    # Following supersedes never loops.
    successor_of = dict(
        zip(pd.to_numeric(links["id"]), pd.to_numeric(links["supersedes"]), strict=True)
    )
    for start in successor_of:
        seen, current = set(), start
        while current in successor_of:
            assert current not in seen, f"supersedes loop through #{start}"
            seen.add(current)
            current = successor_of[current]


def test_no_headline_figure_is_built_only_from_press_reports(product_env):
    frame = queries.announcements_frame(bootstrap.get_engine())
    press = set(frame.loc[frame["evidence"] == Evidence.PRESS_REPORT.value, "id"])
    view = annual_view(frame, date.today(), default_fx(), Inclusion())
    for row in view.headline.itertuples():
        ids = {int(i) for i in row.announcement_ids.split(",")}
        assert not ids <= press, (row.company, row.year)


def test_seed_loads_completely_on_first_use_and_only_once(product_env):
    engine = bootstrap.get_engine()
    assert len(queries.announcements_frame(engine)) == len(read_announcements_csv(seed_path()))
    bootstrap.init_db(engine)
    assert len(queries.announcements_frame(engine)) == len(read_announcements_csv(seed_path()))
