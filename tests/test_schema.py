"""Adding a column is one row in tracker.schema (plus its migration): every place that
lists columns derives its list from there. The derived places checked here:

1. the CSV header written by ``csv_io.announcements_to_csv`` (and read back),
2. the columns of ``validation.validate_frame``'s output,
3. the columns of ``queries.announcements_frame``,
4. the options of ``capex add`` (every column but ``id``) and ``capex edit`` (EDITABLE),
5. the models: ``Announcement`` has each announcement column, ``Company`` each company
   column (``company`` is ``Company.name``, ``fy_end_month`` is
   ``Company.fiscal_year_end_month``),
6. the unique index ``uq_announcement_live`` in the models and in the migrated database,
   which is DUPLICATE_KEY with ``company`` as ``company_id``.

And every Kind and Scope is accepted by validation and offered by the CLI.
"""

from __future__ import annotations

import argparse

import pytest
from sqlalchemy import inspect

from tests.helpers import NO_COMPANIES, fx_table, rows
from tracker import queries
from tracker.cli import build_parser
from tracker.csv_io import announcements_to_csv, read_announcements_csv
from tracker.models import Announcement, Company
from tracker.schema import (
    COLUMNS,
    COMPANY_FIELDS,
    DUPLICATE_KEY,
    EDITABLE,
    NAMES,
    REQUIRED,
    TEXT_FIELDS,
)
from tracker.validation import validate_frame
from tracker.vocab import Evidence, Kind, Qualifier, Scope, SourceType

COMPANY_MODEL_FIELD = {"company": "name", "fy_end_month": "fiscal_year_end_month"}


def subcommand(name: str) -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def options(name: str) -> dict[str, argparse.Action]:
    return {a.dest: a for a in subcommand(name)._actions if a.option_strings and a.dest != "help"}


def test_derived_lists_partition_the_columns():
    assert tuple(c.name for c in COLUMNS) == NAMES and len(set(NAMES)) == len(NAMES)
    ids = {c.name for c in COLUMNS if c.level == "id"}  # id and version
    assert ids == {"id", "version"}
    assert set(REQUIRED) | set(EDITABLE) | set(COMPANY_FIELDS) | ids | {"company"} == set(NAMES)
    assert set(EDITABLE).isdisjoint(COMPANY_FIELDS)
    assert set(DUPLICATE_KEY) <= set(NAMES)
    assert {"company", "notes", "source_url", "currency"} <= set(TEXT_FIELDS)


def test_csv_header_is_the_schema(seeded_engine):
    text = announcements_to_csv(queries.announcements_frame(seeded_engine))
    assert text.splitlines()[0].split(",") == list(NAMES)
    assert list(read_announcements_csv(text.encode()).columns) == list(NAMES)


def test_validation_output_has_every_column():
    valid = validate_frame(rows({}), NO_COMPANIES, fx_table()).valid
    assert [c for c in valid.columns if c in NAMES] == list(NAMES)


def test_announcements_frame_has_every_column(seeded_engine):
    assert set(NAMES) <= set(queries.announcements_frame(seeded_engine).columns)


def test_cli_add_and_edit_options_are_the_schema():
    assert set(options("add")) == set(NAMES) - {"id", "version"}
    required = {d for d, a in options("add").items() if a.required}
    assert required == set(REQUIRED)
    assert set(options("edit")) - {"expect_version"} == set(EDITABLE)


def test_models_have_every_column():
    announcement = set(Announcement.model_fields)
    company = set(Company.model_fields)
    for column in COLUMNS:
        if column.level in ("announcement", "id"):
            assert column.name in announcement, column.name
        elif column.level == "company":
            assert COMPANY_MODEL_FIELD.get(column.name, column.name) in company, column.name
    assert COMPANY_MODEL_FIELD["company"] in company


def test_unique_index_is_the_duplicate_key(empty_engine):
    expected = ["company_id" if c == "company" else c for c in DUPLICATE_KEY]
    index = next(i for i in Announcement.__table__.indexes if i.name == "uq_announcement_live")
    assert [c.name for c in index.columns] == expected and index.unique
    migrated = {i["name"]: i for i in inspect(empty_engine).get_indexes("announcement")}
    assert migrated["uq_announcement_live"]["column_names"] == expected


@pytest.mark.parametrize("kind", Kind.values())
@pytest.mark.parametrize("scope", Scope.values())
def test_every_kind_and_scope_is_accepted_by_validation(kind, scope):
    result = validate_frame(rows({"kind": kind, "scope": scope}), NO_COMPANIES, fx_table())
    assert result.ok, result.errors
    assert (result.valid.iloc[0]["kind"], result.valid.iloc[0]["scope"]) == (kind, scope)


def test_every_vocabulary_value_is_a_cli_choice():
    add = options("add")
    for name, vocab in (
        ("kind", Kind),
        ("scope", Scope),
        ("qualifier", Qualifier),
        ("source_type", SourceType),
        ("evidence", Evidence),
    ):
        assert list(add[name].choices) == vocab.values(), name
        assert list(options("edit")[name].choices) == vocab.values(), name
    assert list(options("summary")["scope"].choices) == Scope.values()
    assert list(options("list")["kind"].choices) == Kind.values()


def test_vocabularies_carry_rank_and_capex_flag():
    # The firmest figure wins: actual (0) before guidance (1) before pledge (2).
    assert [k.rank for k in (Kind.ACTUAL, Kind.GUIDANCE, Kind.PLEDGE)] == [0, 1, 2]
    assert Scope.capex() == ["total_capex", "ai_infrastructure", "data_centers"]
    assert not Scope.TOTAL_INVESTMENT.is_capex
    assert Qualifier.AT_LEAST.symbol == "≥" and Qualifier.UP_TO.symbol == "≤"
