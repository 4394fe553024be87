"""Smaller findings of issue 12 (finding 7) not covered elsewhere.

Covered elsewhere: user-info URLs, control characters and dates before 1990 refused
(test_validation.py), physical line numbers (test_csv_io.py), the empty import file
(test_dashboard.py).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboard import auth
from tracker import bootstrap, queries
from tracker.cli import main

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")


def _page(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["as_of"] = "2026-03-01"
    at.run()
    at.switch_page(f"screens/{name}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _fill_add_form(at: AppTest) -> None:
    at.text_input(key="add_company").set_value("Meta")
    at.text_input(key="add_period").set_value("2027")
    at.text_input(key="add_amount_low").set_value("150")
    at.text_input(key="add_source_url").set_value("https://example.com/meta-2027")


def test_date_pickers_have_explicit_bounds_and_no_silent_today(configured_env, monkeypatch):
    """The picker ignores a typed date outside its bounds; a new announcement's date
    then stays empty and the form says it is required, instead of saving today."""
    monkeypatch.setattr(auth, "server_address", lambda: "127.0.0.1")
    at = _page("add")
    picker = at.date_input(key="add_announced_on")
    assert picker.value is None
    assert (picker.min, picker.max) == (date(1990, 1, 1), date.today())
    _fill_add_form(at)
    at.button(key="FormSubmitter:add_form-Add announcement").click()
    at.run()
    assert not at.exception
    messages = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]
    assert any("announcement date is required" in m for m in messages), messages
    assert len(queries.announcements_frame(bootstrap.get_engine())) == 31


def test_a_date_after_today_cannot_be_picked(configured_env, monkeypatch):
    monkeypatch.setattr(auth, "server_address", lambda: "127.0.0.1")
    at = _page("add")
    _fill_add_form(at)
    at.date_input(key="add_announced_on").set_value(date.today() + timedelta(days=3))
    at.button(key="FormSubmitter:add_form-Add announcement").click()
    at.run()
    # Either the widget or the service refuses it; nothing is saved.
    assert len(queries.announcements_frame(bootstrap.get_engine())) == 31


def test_edit_form_dates_start_at_the_stored_date(configured_env, monkeypatch):
    monkeypatch.setattr(auth, "server_address", lambda: "127.0.0.1")
    at = _page("announcements")
    at.session_state["announcements_tab"] = "Edit one"
    at.run()
    at.selectbox(key="edit_id").set_value(5)
    at.run()
    picker = at.date_input(key="edit_5_1_announced_on")
    stored = queries.announcements_frame(bootstrap.get_engine()).set_index("id").loc[5]
    assert picker.value == pd.Timestamp(stored["announced_on"]).date()
    assert picker.min == date(1990, 1, 1) and picker.max == date.today()


def test_cli_tables_do_not_send_control_characters_to_the_terminal(configured_env, capsys):
    """Rows stored before control characters were refused (or written by another tool)
    are shown with '?' in their place: ESC and BEL never reach the terminal."""
    engine = bootstrap.get_engine()
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE company SET name = :n WHERE name = 'Meta'"), {"n": "Me\x1b[31mta\x07"}
        )
        conn.execute(text("UPDATE announcement SET notes = :n WHERE id = 5"), {"n": "ring\x07"})
    for argv in (["list"], ["summary"], ["history"], ["check-sources"]):
        assert main(argv) == 0, argv
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out, argv
    assert main(["list"]) == 0
    assert "Me?[31mta?" in capsys.readouterr().out
