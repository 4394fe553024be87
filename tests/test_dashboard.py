"""The Streamlit app, driven through ``streamlit.testing.v1.AppTest``.

Expected figures are computed by hand from data/seed.csv in the comments.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from tracker import repository as repo
from tracker.csv_io import read_announcements_csv
from tracker.db import get_engine
from tracker.validation import ALL_COLUMNS

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
END_2025 = date(2025, 12, 31)


class Downloads(dict):
    """File name -> bytes of every st.download_button (deferred ones generated on access,
    as on a click)."""

    def __getitem__(self, name: str) -> bytes:
        data = super().__getitem__(name)
        data = data() if callable(data) else data
        return data.encode() if isinstance(data, str) else data


@pytest.fixture
def downloads(monkeypatch) -> Downloads:
    captured = Downloads()
    original = MemoryMediaFileStorage.load_and_get_id
    original_deferred = MediaFileManager.add_deferred

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if filename:
            captured[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    def spy_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        captured[file_name] = data_callable
        return original_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    monkeypatch.setattr(MediaFileManager, "add_deferred", spy_deferred)
    return captured


def open_tab(at: AppTest, label: str) -> AppTest:
    """Select a tab as a click would (only the open tab is rendered)."""
    at.session_state["tab"] = label
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app(configured_env) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    at.date_input(key="f_as_of").set_value(END_2025).run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label_start: str):
    return next(m for m in at.metric if m.label.startswith(label_start))


TABLE_SIGNATURES = {
    # st.dataframe keys are not visible to AppTest, so tables are told apart by columns.
    "comparison": lambda c: c[:1] == ["company"] and any(x.isdigit() for x in c),
    "sources": lambda c: "announcement_id" in c and "source" in c,
    "basis": lambda c: "actual vs guidance %" in c,
    "history_rows": lambda c: "annual_mid_usd" in c,
    "announcements": lambda c: "revises_id" in c and "notes" in c,
    "import_errors": lambda c: c == ["line", "field", "message"],
    "history": lambda c: "action" in c,
}


def table(at: AppTest, name: str) -> pd.DataFrame:
    for element in at.dataframe:
        frame = element.value
        if TABLE_SIGNATURES[name](list(map(str, frame.columns))):
            return frame
    raise KeyError(name)


def comparison(at: AppTest) -> pd.DataFrame:
    open_tab(at, "Comparison")
    return table(at, "comparison")


def chart_traces(at: AppTest, key: str) -> list[dict]:
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key))
    return json.loads(chart.proto.spec)["data"]


def test_every_tab_renders_and_only_the_open_one_is_built(app):
    labels = [t.label for t in app.tabs]
    assert labels == [
        "Overview",
        "Timeline",
        "Comparison",
        "Guidance history",
        "Announcements",
        "Add announcement",
        "Import CSV",
        "Edit history",
    ]
    expected_charts = {"Overview": 1, "Timeline": 2, "Guidance history": 1}
    for label in labels:
        open_tab(app, label)
        assert len(app.get("plotly_chart")) == expected_charts.get(label, 0), label


def test_tab_choices_survive_switching_tabs(app):
    app.selectbox(key="overview_year").set_value(2024).run()
    # A refused entry (negative amount) is kept while the analyst looks elsewhere.
    fill_form(app, add_period="FY2026", add_low="-1")
    open_tab(app, "Comparison")
    open_tab(app, "Overview")
    assert app.selectbox(key="overview_year").value == 2024
    assert metric(app, "Total announced spend 2024").value.startswith("USD")
    open_tab(app, "Add announcement")
    assert app.text_input(key="add_period").value == "FY2026"
    assert app.text_input(key="add_low").value == "-1"


def test_overview_metrics_for_2025_all_scopes(app):
    app.selectbox(key="overview_year").set_value(2025).run()
    # As of 2025-12-31: Alibaba 380/3/7.19 = 17.617; Alphabet 91-93 -> 92; Amazon 125;
    # Apple 600/4 = 150; Meta 70-72 -> 71; Microsoft Jan-Jun from FY2025 actual 88.2/2 =
    # 44.1; Oracle Jan-May FY2025 actual 21.2*5/12 = 8.833 + Jun-Dec FY2026 guidance
    # 50*7/12 = 29.167 -> 38.0; Stargate 500/4 = 125. Sum = 662.717.
    assert metric(app, "Total announced spend 2025").value == "USD 662.7 bn"
    assert metric(app, "Companies").value == "8"
    assert metric(app, "Largest spender").value == "Apple"


def test_scope_filter_changes_every_view(app):
    app.multiselect(key="f_scopes").set_value(["total_capex"]).run()
    app.selectbox(key="overview_year").set_value(2025).run()
    # Only total capex: 92 + 125 + 71 + 44.1 + 38.0 = 370.1; Amazon is largest.
    assert metric(app, "Total announced spend 2025").value == "USD 370.1 bn"
    assert metric(app, "Largest spender").value == "Amazon"
    assert "Apple" not in set(comparison(app)["company"])
    open_tab(app, "Overview")
    bars = chart_traces(app, "chart_overview")
    assert {x for trace in bars for x in trace["x"]} == {
        "Alphabet",
        "Amazon",
        "Meta",
        "Microsoft",
        "Oracle",
    }


def test_company_and_country_filters(app):
    app.multiselect(key="f_companies").set_value(["Meta", "Alibaba"]).run()
    assert set(comparison(app)["company"]) == {"Meta", "Alibaba"}
    app.multiselect(key="f_countries").set_value(["CN"]).run()
    assert set(comparison(app)["company"]) == {"Alibaba"}
    open_tab(app, "Announcements")
    assert set(table(app, "announcements")["company"]) == {"Alibaba"}


def test_as_of_replays_what_was_known(app):
    app.multiselect(key="f_companies").set_value(["Meta"]).run()
    app.radio(key="f_measure").set_value("high").run()
    app.date_input(key="f_as_of").set_value(date(2025, 5, 15)).run()
    table = comparison(app).set_index("company")
    assert table.loc["Meta", "2025"] == pytest.approx(72)  # 64-72 range of 2025-04-30
    assert "2026" not in table.columns  # 2026 guidance came in January 2026
    app.radio(key="f_measure").set_value("low").run()
    assert comparison(app).set_index("company").loc["Meta", "2025"] == pytest.approx(64)


def test_comparison_has_growth_and_sources(app):
    app.date_input(key="f_as_of").set_value(date(2026, 3, 1)).run()
    wide = comparison(app).set_index("company")
    # Alphabet actuals: 52.5 (2024) -> 91.45 (2025): +74.19 %.
    assert wide.loc["Alphabet", "2025 YoY %"] == pytest.approx((91.45 / 52.5 - 1) * 100)
    sources = table(app, "sources")  # same tab
    alibaba = sources[sources["company"] == "Alibaba"]
    assert alibaba["source"].str.startswith("https://").all()


def test_guidance_history_shows_every_revision_in_the_seed(app):
    app.date_input(key="f_as_of").set_value(date(2026, 11, 25)).run()
    open_tab(app, "Guidance history")
    app.selectbox(key="history_company").set_value("Meta").run()
    points = sum(len(t["x"]) for t in chart_traces(app, "chart_history"))
    seed = pd.read_csv(Path(APP).parent.parent / "data" / "seed.csv")
    assert points == int((seed["company"] == "Meta").sum())
    rows = table(app, "history_rows")
    assert rows["revises_id"].notna().sum() == 3  # three revisions of 2025 guidance


def test_pledge_guidance_and_actual_side_by_side(app):
    app.date_input(key="f_as_of").set_value(date(2026, 3, 1)).run()
    open_tab(app, "Comparison")
    side = table(app, "basis").set_index(["company", "scope", "year"])
    meta = side.loc[("Meta", "total_capex", 2025)]
    assert meta["guidance"] == pytest.approx(71)
    assert meta["actual"] == pytest.approx(72.22)
    assert meta["actual vs guidance %"] == pytest.approx((72.22 / 71 - 1) * 100)
    # Amazon's UK pledge (GBP 8bn over 2024-2028 at 0.7825) is its own row, not added.
    uk = side.loc[("Amazon", "data_centers", 2025)]
    assert uk["pledge"] == pytest.approx(8 / 5 / 0.7825)
    assert side.loc[("Amazon", "total_capex", 2025), "guidance"] == pytest.approx(125)


@pytest.mark.parametrize(
    "company", ["Meta", "Alphabet", "Amazon", "Microsoft", "Oracle", "Apple", "Alibaba"]
)
def test_guidance_history_chart_has_a_point_per_seed_announcement(app, company):
    app.date_input(key="f_as_of").set_value(date(2026, 11, 25)).run()
    open_tab(app, "Guidance history")
    app.selectbox(key="history_company").set_value(company).run()
    points = sum(len(t["x"]) for t in chart_traces(app, "chart_history"))
    seed = pd.read_csv(Path(APP).parent.parent / "data" / "seed.csv")
    assert points == int((seed["company"] == company).sum())


@pytest.fixture(autouse=True)
def typed_selectbox_values(monkeypatch):
    """Let AppTest send a value typed into a selectbox with ``accept_new_options``.

    AppTest's Selectbox can only encode listed options; the browser sends the typed text
    as the widget's string value, which is what this does for unlisted values.
    """
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    from streamlit.testing.v1.element_tree import Selectbox

    original = Selectbox._widget_state

    def widget_state(self):
        if self.value is not None and str(self.value) not in self.options:
            ws = WidgetState()
            ws.id = self.id
            ws.string_value = str(self.value)
            return ws
        return original.fget(self)

    monkeypatch.setattr(Selectbox, "_widget_state", property(widget_state))


def fill_form(at: AppTest, **fields) -> AppTest:
    open_tab(at, "Add announcement")
    values = {
        "add_new_name": "Baidu",
        "add_country": "CN",
        "add_period": "2024",
        "add_low": "8.1",
        "add_high": "",
        "add_source": "https://ir.baidu.com/q4",
        "add_notes": "Reported capex",
    }
    values.update({k: v for k, v in fields.items() if k.startswith("add_")})
    for key, value in values.items():
        widget = at.text_area(key=key) if key == "add_notes" else at.text_input(key=key)
        widget.input(value)
    at.selectbox(key="add_kind").set_value("actual")
    at.selectbox(key="add_scope").set_value("total_capex")
    at.selectbox(key="add_currency").set_value(fields.get("currency", "CNY"))
    at.date_input(key="add_date").set_value(date(2025, 2, 18))
    at.button(key="FormSubmitter:add_form-Save announcement").click()
    return at.run()


def test_add_form_saves_and_shows_everywhere(app):
    before = len(repo.announcements_frame(get_engine()))
    fill_form(app)
    assert not app.exception
    assert any("Saved announcement" in s.value for s in app.success)
    assert len(repo.announcements_frame(get_engine())) == before + 1
    # 8.1 CNY bn at 7.19 (2025 rate) = 1.127 USD bn in the comparison table for 2024.
    wide = comparison(app).set_index("company")
    assert wide.loc["Baidu", "2024"] == pytest.approx(8.1 / 7.19)
    open_tab(app, "Announcements")
    assert "Baidu" in set(table(app, "announcements")["company"])
    open_tab(app, "Add announcement")
    assert "Baidu" in app.selectbox(key="add_company").options
    assert any("Use 2025, FY2025, 2025-2027" in c.value for c in app.caption)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"add_low": "-8"}, "amount must be greater than zero"),
        ({"add_period": "2026-2024"}, "ends before it starts"),
        ({"currency": "XYZ"}, "unknown currency 'XYZ'"),
        ({"add_source": ""}, "source URL is required"),
        ({"add_source": "ir.baidu.com"}, "not a valid http(s) address"),
        ({"add_low": "9", "add_high": "5"}, "below the low amount"),
        ({"add_new_name": ""}, "company is required"),
    ],
)
def test_add_form_refuses_bad_input_next_to_the_field(app, fields, message):
    before = len(repo.announcements_frame(get_engine()))
    fill_form(app, **fields)
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any("Not saved" in e for e in errors)
    assert any(message in e for e in errors), errors
    assert len(repo.announcements_frame(get_engine())) == before
    # The analyst's input is still in the form to correct.
    assert app.text_input(key="add_period").value == fields.get("add_period", "2024")


def test_exports_are_the_filtered_views_and_read_back(app, downloads):
    app.multiselect(key="f_companies").set_value(["Meta", "Alibaba"]).run()
    open_tab(app, "Comparison")
    open_tab(app, "Announcements")
    table = pd.read_csv(io.BytesIO(downloads["capex-comparison.csv"]))
    assert list(table["company"]) == ["Alibaba", "Meta"]
    assert table.set_index("company").loc["Meta", "2025"] == pytest.approx(71)
    raw = read_announcements_csv(downloads["capex-announcements.csv"])
    assert list(raw.columns) == list(ALL_COLUMNS)
    assert set(raw["company"]) == {"Meta", "Alibaba"}
    stored = repo.announcements_frame(get_engine())
    known = stored[
        stored["company"].isin(["Meta", "Alibaba"])
        & (pd.to_datetime(stored["announced_on"]) <= pd.Timestamp(END_2025))
    ]
    assert len(raw) == len(known)
    # Re-importing the export is refused as duplicates: it is the same data, unchanged.
    result = repo.check_frame(get_engine(), raw)
    assert result.valid.empty and len(result.errors) == len(raw)
    annual = pd.read_csv(io.BytesIO(downloads["capex-annual.csv"]))
    assert set(annual["company"]) == {"Meta", "Alibaba"}


def test_import_lists_errors_and_saves_only_after_confirmation(app):
    good = "Baidu,,CN,12,actual,total_capex,2024,8.1,,CNY,2025-02-18,https://ir.baidu.com/q4,"
    bad = "Baidu,,CN,12,actual,total_capex,2023,-1,,CNY,2024-02-18,https://ir.baidu.com/q3,"
    text = ",".join(ALL_COLUMNS) + "\n" + good + "\n" + bad + "\n"
    before = len(repo.announcements_frame(get_engine()))
    open_tab(app, "Import CSV")
    app.file_uploader(key="import_file").upload("new.csv", text.encode(), "text/csv")
    app.run()
    errors = table(app, "import_errors")
    assert list(errors["line"]) == [3]
    assert "greater than zero" in errors.iloc[0]["message"]
    assert len(repo.announcements_frame(get_engine())) == before
    app.button(key="import_confirm").click().run()
    assert any("Imported 1 announcement" in s.value for s in app.success)
    assert len(repo.announcements_frame(get_engine())) == before + 1


def test_import_of_unreadable_file_says_why(app):
    open_tab(app, "Import CSV")
    app.text_area(key="import_text").input("company;amount\nx;1").run()
    assert any("missing column(s)" in e.value for e in app.error)


def test_delete_and_restore_from_the_dashboard(app):
    meta = repo.announcements_frame(get_engine())
    target = int(meta[meta["company"] == "Alibaba"].iloc[0]["id"])
    app.text_input(key="user_name").input("ana")
    open_tab(app, "Announcements")
    app.number_input(key="delete_id").set_value(target)
    app.text_input(key="delete_reason").input("test")
    app.button(key="FormSubmitter:delete_form-Delete").click().run()
    assert "Alibaba" not in set(comparison(app)["company"])
    open_tab(app, "Edit history")
    history = table(app, "history")
    assert history.iloc[0]["action"] == "delete" and history.iloc[0]["changed_by"] == "ana"
    app.selectbox(key="restore_id").set_value(target)
    app.button(key="restore_button").click().run()
    assert any("Restored announcement" in s.value for s in app.success)
    assert "Alibaba" in set(comparison(app)["company"])


def test_edit_from_the_dashboard_keeps_the_old_value(app):
    frame = repo.announcements_frame(get_engine())
    target = int(frame[(frame.company == "Meta") & (frame.kind == "guidance")].iloc[0]["id"])
    app.text_input(key="user_name").input("ana")
    open_tab(app, "Announcements")
    app.number_input(key="edit_id").set_value(target)
    app.selectbox(key="edit_field").set_value("amount_high")
    app.text_input(key="edit_value").input("50")  # below the low end of 60
    app.button(key="FormSubmitter:edit_form-Save change").click().run()
    assert any("below the low amount" in e.value for e in app.error)
    assert repo.history_frame(get_engine()).empty
    app.text_input(key="edit_value").input("66")
    app.button(key="FormSubmitter:edit_form-Save change").click().run()
    assert any(f"Updated amount_high of announcement #{target}" in s.value for s in app.success)
    stored = repo.announcements_frame(get_engine()).set_index("id").loc[target]
    assert stored["amount_high"] == 66
    open_tab(app, "Edit history")
    history = table(app, "history")
    assert history.iloc[0]["changed_by"] == "ana"
    assert '"amount_high": 65.0' in history.iloc[0]["old_values"]


def test_restore_that_would_duplicate_is_refused_in_the_dashboard(app):
    frame = repo.announcements_frame(get_engine())
    row = frame[frame["company"] == "Alibaba"].iloc[0]
    repo.delete_announcement(get_engine(), int(row["id"]))
    again = {
        c: str(row[c]) for c in ("company", "kind", "scope", "period", "currency", "source_url")
    }
    again |= {
        "amount_low": f"{row['amount_low']:g}",
        "announced_on": row["announced_on"].strftime("%Y-%m-%d"),
    }
    repo.add_announcement(get_engine(), again)
    open_tab(app, "Edit history")
    app.selectbox(key="restore_id").set_value(int(row["id"]))
    app.button(key="restore_button").click().run()
    assert any("Not restored" in e.value and "would duplicate" in e.value for e in app.error)
    assert int(row["id"]) not in set(repo.announcements_frame(get_engine())["id"])
