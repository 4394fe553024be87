"""capex-tracker dashboard: compare announced AI-infrastructure spending.

Run with ``streamlit run dashboard/app.py``. The app only lays out widgets and charts:
data, validation and every number come from the ``tracker`` package. Loaded data is
cached by the database's version, so a new announcement shows in every view at once.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import charts
from tracker import repository as repo
from tracker.config import database_url
from tracker.csv_io import (
    CsvFormatError,
    announcements_to_csv,
    read_announcements_csv,
    table_to_csv,
)
from tracker.db import get_engine
from tracker.fx import default_fx
from tracker.models import KIND_LABELS, SCOPE_LABELS, Kind, Scope
from tracker.normalize import AnnualView, annual_view
from tracker.periods import PERIOD_HELP
from tracker.validation import ALL_COLUMNS
from tracker.views import (
    LIST_COLUMNS,
    basis_table,
    comparison_table,
    coverage_table,
    filter_announcements,
    filter_annual,
    guidance_history,
    overview_metrics,
    sources_table,
    with_revisions,
)

NEW_COMPANY = "— new company —"
MAX_ROWS_SHOWN = 1000
MEASURE_LABELS = {"mid": "Midpoint", "low": "Low end", "high": "High end"}


@st.cache_resource
def _engine_for(url: str):
    return get_engine()


def engine():
    """The engine for the configured database (keyed by URL, so a changed
    ``DATABASE_URL`` is never served a stale connection pool)."""
    return _engine_for(database_url())


@st.cache_data(show_spinner=False, max_entries=4)
def load_announcements(version: tuple) -> pd.DataFrame:
    return repo.announcements_frame(engine())


@st.cache_data(show_spinner=False, max_entries=16)
def load_view(version: tuple, as_of: date, scopes: tuple[str, ...]) -> AnnualView:
    frame = load_announcements(version)
    if scopes:
        frame = frame[frame["scope"].isin(scopes)]
    return annual_view(frame, as_of)


def remember(*keys: str) -> None:
    """Keep widget values of a tab while another tab is open.

    Streamlit forgets the state of widgets that are not drawn in a run, and only the
    open tab is drawn; so each value is mirrored under a private key and put back
    before the widget is created again.
    """
    for key in keys:
        shadow = f"_kept_{key}"
        if key in st.session_state:
            st.session_state[shadow] = st.session_state[key]
        elif shadow in st.session_state:
            st.session_state[key] = st.session_state[shadow]


def remember_choice(key: str, options: list) -> None:
    """:func:`remember` for a selectbox, dropping a kept value no longer among the options
    (e.g. a year the filters removed)."""
    remember(key)
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)


def run_action(action, done: str, refused: str) -> None:
    """Run a write from a form or button: on success reload every view with ``done`` as a
    note; if the repository refuses it, say why and change nothing."""
    try:
        action()
    except repo.ValidationFailed as exc:
        st.error(f"{refused}: " + " · ".join(exc.result.errors["message"].astype(str)))
    except (repo.NotFound, ValueError) as exc:
        st.error(f"{refused}: {exc}")
    else:
        st.session_state["flash"] = done
        st.rerun()


def money(value: float) -> str:
    return f"USD {value:,.1f} bn"


def sidebar(announcements: pd.DataFrame, years: list[int]) -> dict:
    st.sidebar.header("Filters")
    companies = st.sidebar.multiselect(
        "Companies",
        sorted(announcements["company"].unique()),
        key="f_companies",
        placeholder="All companies",
    )
    countries = st.sidebar.multiselect(
        "Countries",
        sorted(announcements["country"].unique()),
        key="f_countries",
        placeholder="All countries",
    )
    scopes = st.sidebar.multiselect(
        "Scope",
        [s.value for s in Scope],
        format_func=lambda s: SCOPE_LABELS[s],
        key="f_scopes",
        placeholder="All scopes",
    )
    if len(years) > 1:
        year_range = st.sidebar.slider(
            "Calendar years", min(years), max(years), (min(years), max(years)), key="f_years"
        )
    else:
        year_range = (years[0], years[0]) if years else (date.today().year,) * 2
    measure = st.sidebar.radio(
        "Figure for ranges",
        list(MEASURE_LABELS),
        format_func=MEASURE_LABELS.get,
        horizontal=True,
        key="f_measure",
    )
    as_of = st.sidebar.date_input(
        "As of",
        value=date.today(),
        key="f_as_of",
        help="Replay what was known on this date: later announcements are ignored.",
    )
    st.sidebar.text_input("Your name (for the edit history)", key="user_name")
    return {
        "companies": companies,
        "countries": countries,
        "scopes": tuple(sorted(scopes)),
        "years": year_range,
        "measure": measure,
        "as_of": as_of,
    }


def user() -> str | None:
    return (st.session_state.get("user_name") or "").strip() or None


def overview_tab(headline: pd.DataFrame, f: dict) -> None:
    years = sorted(headline["year"].unique())
    if not years:
        st.info("No announcements match the filters.")
        return
    default = date.today().year if date.today().year in years else years[-1]
    remember_choice("overview_year", years)
    year = st.selectbox("Year", years, index=years.index(default), key="overview_year")
    m = overview_metrics(headline, year, f["measure"])
    c1, c2, c3 = st.columns(3)
    c1.metric(f"Total announced spend {year}", money(m["total"]))
    c2.metric("Companies", m["companies"])
    c3.metric(
        "Largest spender",
        m["largest"] or "–",
        money(m["largest_value"]) if m["largest"] else None,
        delta_color="off",
        delta_arrow="off",
    )
    st.plotly_chart(
        charts.spend_by_company(headline, year, f["measure"]), width="stretch", key="chart_overview"
    )
    st.caption(
        "Each bar is the company's spend attributed to the calendar year, in USD bn: "
        "the reported actual where there is one, else the latest guidance, else the "
        "pledge spread evenly over its years. Error bars show the announced low-high range."
    )


def timeline_tab(headline: pd.DataFrame, announcements: pd.DataFrame, f: dict) -> None:
    st.plotly_chart(
        charts.spend_over_time(headline, f["measure"]), width="stretch", key="chart_timeline"
    )
    st.plotly_chart(
        charts.announcement_timeline(announcements), width="stretch", key="chart_announcements"
    )


def comparison_tab(
    view: AnnualView, headline: pd.DataFrame, announcements_all: pd.DataFrame, f: dict
) -> None:
    table = comparison_table(headline, f["measure"])
    st.subheader(f"Annual spend, USD bn / year ({MEASURE_LABELS[f['measure']].lower()})")
    st.dataframe(
        styled_comparison(table, coverage_table(headline)),
        hide_index=True,
        placeholder="–",
        width="stretch",
        key="comparison_table",
    )
    st.caption(
        "Grey italic figures cover fewer than 12 months of the year (e.g. a fiscal year "
        "that ends in May). Growth (YoY) is shown only between two full years of the same "
        "scope and of the same kind (pledge vs. guidance/actual)."
    )
    st.download_button(
        "Download this table (CSV)",
        table_to_csv(table),
        file_name="capex-comparison.csv",
        mime="text/csv",
        key="dl_comparison",
    )
    st.subheader("Sources behind each number")
    detail = sources_table(headline, announcements_all)
    st.dataframe(
        detail[
            [
                "company",
                "year",
                f["measure"],
                "basis",
                "scope",
                "months",
                "announcement_id",
                "source",
            ]
        ],
        hide_index=True,
        placeholder="–",
        width="stretch",
        key="sources_table",
        column_config={
            "source": st.column_config.LinkColumn("Source"),
            f["measure"]: st.column_config.NumberColumn(charts.UNIT, format="%.1f"),
            "months": st.column_config.NumberColumn("Months covered"),
        },
    )
    st.download_button(
        "Download annual table with sources (CSV)",
        table_to_csv(detail),
        file_name="capex-annual.csv",
        mime="text/csv",
        key="dl_annual",
    )
    st.subheader("Pledges, guidance and actuals side by side")
    st.caption(
        "Each kind is resolved on its own (latest known at the as-of date) and they are "
        "never added together; the headline above picks actual, else guidance, else pledge."
    )
    side = filter_annual(
        basis_table(view, f["measure"]), f["companies"], f["countries"], f["years"]
    )
    st.dataframe(
        side,
        hide_index=True,
        placeholder="–",
        width="stretch",
        key="basis_table",
        column_config={
            c: st.column_config.NumberColumn(c, format="%+.1f %%" if "%" in c else "%.1f")
            for c in ("pledge", "guidance", "actual", "actual vs guidance %")
        },
    )


def styled_comparison(table: pd.DataFrame, coverage: pd.DataFrame):
    """Blank for missing, one decimal, partial-coverage years greyed."""
    months = coverage.set_index("company").reindex(table["company"])
    months.index = table.index

    def partial(column: pd.Series) -> list[str]:
        if column.name not in months.columns:
            return [""] * len(column)
        return [
            "color: #888; font-style: italic" if 0 < m < 12 else ""
            for m in months[column.name].fillna(0)
        ]

    numeric = [c for c in table.columns if c != "company"]
    pct = {c: "{:+.1f} %" for c in numeric if "YoY" in c}
    return table.style.format(
        {c: "{:.1f}" for c in numeric if "YoY" not in c} | pct, na_rep="–"
    ).apply(partial, subset=numeric)


def history_chart_tab(announcements: pd.DataFrame) -> None:
    history = guidance_history(announcements)
    companies = sorted(history["company"].unique())
    if not companies:
        st.info("No announcements match the filters.")
        return
    default = companies.index("Meta") if "Meta" in companies else 0
    remember_choice("history_company", companies)
    company = st.selectbox("Company", companies, index=default, key="history_company")
    st.plotly_chart(
        charts.guidance_history_chart(history, company), width="stretch", key="chart_history"
    )
    rows = history[history["company"] == company]
    st.dataframe(
        rows[
            [
                "id",
                "revises_id",
                "announced_on",
                "kind",
                "scope",
                "period",
                "amount_low",
                "amount_high",
                "currency",
                "annual_mid_usd",
                "source_url",
            ]
        ],
        hide_index=True,
        placeholder="–",
        width="stretch",
        key="history_rows",
        column_config={
            "source_url": st.column_config.LinkColumn("Source"),
            "annual_mid_usd": st.column_config.NumberColumn(charts.UNIT, format="%.1f"),
        },
    )


def announcements_tab(announcements: pd.DataFrame) -> None:
    shown = with_revisions(announcements).sort_values("announced_on", ascending=False)
    st.caption(
        f"{len(shown):,} announcements match the filters"
        + (
            f"; showing the newest {MAX_ROWS_SHOWN:,} (the download has all)."
            if len(shown) > MAX_ROWS_SHOWN
            else "."
        )
    )
    st.dataframe(
        shown.head(MAX_ROWS_SHOWN)[[*LIST_COLUMNS, "source_url", "notes"]],
        hide_index=True,
        placeholder="–",
        width="stretch",
        key="announcements_table",
        column_config={"source_url": st.column_config.LinkColumn("Source")},
    )
    st.download_button(
        "Download announcements (CSV, import format)",
        # Built when clicked: the full list can be 100k rows.
        lambda: announcements_to_csv(announcements),
        file_name="capex-announcements.csv",
        mime="text/csv",
        key="dl_raw",
    )
    with (
        st.expander("Edit an announcement (the old values are kept in the history)"),
        st.form("edit_form"),
    ):
        target = st.number_input("Announcement id", min_value=1, step=1, key="edit_id")
        field = st.selectbox("Field", repo.EDITABLE_FIELDS, key="edit_field")
        value = st.text_input(
            "New value", key="edit_value", help="Dates as YYYY-MM-DD, amounts in billions."
        )
        if st.form_submit_button("Save change"):
            run_action(
                lambda: repo.update_announcement(
                    engine(), int(target), {field: value}, user=user()
                ),
                f"Updated {field} of announcement #{int(target)}.",
                "Not saved",
            )
    with (
        st.expander("Delete an announcement (kept in the history, can be restored)"),
        st.form("delete_form"),
    ):
        target = st.number_input("Announcement id", min_value=1, step=1, key="delete_id")
        reason = st.text_input("Reason", key="delete_reason")
        if st.form_submit_button("Delete"):
            run_action(
                lambda: repo.delete_announcement(engine(), int(target), user=user(), reason=reason),
                f"Deleted announcement #{int(target)}.",
                "Not deleted",
            )


def add_tab(companies: pd.DataFrame) -> None:
    st.caption(
        "Amounts are in billions of the announced currency. "
        + PERIOD_HELP[:1].upper()
        + PERIOD_HELP[1:]
        + "."
    )
    remember(
        "add_company",
        "add_new_name",
        "add_country",
        "add_fy_end",
        "add_kind",
        "add_scope",
        "add_period",
        "add_low",
        "add_high",
        "add_currency",
        "add_date",
        "add_source",
        "add_notes",
    )
    slots: dict[str, st.delta_generator.DeltaGenerator] = {}
    with st.form("add_form", clear_on_submit=False):
        c1, c2 = st.columns(2)
        with c1:
            choice = st.selectbox("Company", [NEW_COMPANY, *companies["name"]], key="add_company")
            slots["company"] = st.empty()
        with c2:
            new_name = st.text_input("New company name (if new)", key="add_new_name")
        c1, c2 = st.columns(2)
        with c1:
            country = st.text_input("Country (ISO code, if new)", key="add_country", max_chars=2)
            slots["country"] = st.empty()
        with c2:
            fy_end = st.number_input("Fiscal-year end month (if new)", 1, 12, 12, key="add_fy_end")
            slots["fy_end_month"] = st.empty()
        c1, c2, c3 = st.columns(3)
        with c1:
            kind = st.selectbox(
                "Kind",
                [k.value for k in Kind],
                format_func=KIND_LABELS.get,
                index=1,
                key="add_kind",
            )
            slots["kind"] = st.empty()
        with c2:
            scope = st.selectbox(
                "Scope",
                [s.value for s in Scope],
                format_func=SCOPE_LABELS.get,
                index=2,
                key="add_scope",
            )
            slots["scope"] = st.empty()
        with c3:
            period = st.text_input(
                "Period", placeholder="2025, FY2025, 2025-2027", key="add_period"
            )
            slots["period"] = st.empty()
        c1, c2, c3 = st.columns(3)
        with c1:
            low = st.text_input("Amount (bn), or low end of a range", key="add_low")
            slots["amount_low"] = st.empty()
        with c2:
            high = st.text_input("High end of range (bn, optional)", key="add_high")
            slots["amount_high"] = st.empty()
        with c3:
            currencies = sorted(default_fx().currencies)
            currency = st.selectbox(
                "Currency",
                currencies,
                index=currencies.index("USD"),
                key="add_currency",
                accept_new_options=True,
                help="ISO code; the FX table must know it.",
            )
            slots["currency"] = st.empty()
        announced = st.date_input("Announced on", value=date.today(), key="add_date")
        slots["announced_on"] = st.empty()
        source = st.text_input("Source URL", placeholder="https://…", key="add_source")
        slots["source_url"] = st.empty()
        notes = st.text_area("Notes (say if it is guidance, a range, implied…)", key="add_notes")
        slots["notes"] = st.empty()
        submitted = st.form_submit_button("Save announcement")
    if not submitted:
        return
    is_new = choice == NEW_COMPANY
    fields = {
        "company": new_name if is_new else choice,
        "country": country if is_new else "",
        "fy_end_month": str(int(fy_end)) if is_new else "",
        "kind": kind,
        "scope": scope,
        "period": period,
        "amount_low": low,
        "amount_high": high,
        "currency": currency,
        "announced_on": announced.isoformat() if announced else "",
        "source_url": source,
        "notes": notes,
    }
    try:
        new_id = repo.add_announcement(engine(), fields, user=user())
    except repo.ValidationFailed as exc:
        st.error("Not saved: please fix the fields marked below.")
        for field, messages in exc.result.messages_by_field().items():
            slots.get(field, slots["company"]).error(" · ".join(messages))
        return
    st.session_state["flash"] = f"Saved announcement #{new_id} for {fields['company']}."
    st.rerun()


def import_tab() -> None:
    st.caption("Columns: " + ", ".join(ALL_COLUMNS) + ". Nothing is saved until you confirm.")
    upload = st.file_uploader("CSV file", type=["csv"], key="import_file")
    pasted = st.text_area("…or paste CSV text", key="import_text", height=120)
    data = upload.getvalue() if upload is not None else pasted.encode("utf-8")
    if not data.strip():
        return
    try:
        raw = read_announcements_csv(data)
    except CsvFormatError as exc:
        st.error(f"Cannot read the file: {exc}")
        return
    result = repo.check_frame(engine(), raw)
    st.write(
        f"**{len(result.valid)}** valid row(s), **{result.errors['line'].nunique()}** "
        "row(s) with errors."
    )
    if not result.ok:
        st.dataframe(
            result.errors, hide_index=True, placeholder="–", width="stretch", key="import_errors"
        )
    if not result.valid.empty and st.button(
        f"Save the {len(result.valid)} valid row(s)", key="import_confirm"
    ):
        report = repo.import_frame(engine(), raw, user=user(), skip_invalid=True)
        st.session_state["flash"] = (
            f"Imported {report.inserted} announcement(s); "
            f"{report.companies_created} new company(ies)."
        )
        st.rerun()


def history_tab() -> None:
    history = repo.history_frame(engine())
    if history.empty:
        st.caption("No edits or deletes yet.")
    else:
        st.dataframe(
            history, hide_index=True, placeholder="–", width="stretch", key="history_table"
        )
    deleted = repo.announcements_frame(engine(), only_deleted=True)
    if not deleted.empty:
        st.subheader("Deleted announcements")
        st.dataframe(
            deleted[
                [
                    "id",
                    "company",
                    "period",
                    "amount_low",
                    "amount_high",
                    "currency",
                    "deleted_at",
                    "deleted_by",
                ]
            ],
            hide_index=True,
            placeholder="–",
            width="stretch",
            key="deleted_table",
        )
        target = st.selectbox("Restore", deleted["id"], key="restore_id")
        if st.button("Restore announcement", key="restore_button"):
            run_action(
                lambda: repo.restore_announcement(engine(), int(target), user=user()),
                f"Restored announcement #{int(target)}.",
                "Not restored",
            )


def main() -> None:
    st.set_page_config(page_title="capex-tracker", page_icon="🏗️", layout="wide")
    st.title("AI-infrastructure capex tracker")
    st.caption("Announced AI-infrastructure spending, normalized to USD per calendar year.")
    if flash := st.session_state.pop("flash", None):
        st.success(flash)

    version = repo.data_version(engine())
    announcements_all = load_announcements(version)
    years = (
        list(
            range(
                announcements_all["period_start"].dt.year.min(),
                announcements_all["period_end"].dt.year.max() + 1,
            )
        )
        if not announcements_all.empty
        else []
    )
    f = sidebar(announcements_all, years)
    view = load_view(version, f["as_of"], f["scopes"])
    headline = filter_annual(view.headline, f["companies"], f["countries"], f["years"])
    announcements = filter_announcements(
        announcements_all, f["as_of"], f["companies"], f["countries"], f["scopes"], f["years"]
    )

    renderers = {
        "Overview": lambda: overview_tab(headline, f),
        "Timeline": lambda: timeline_tab(headline, announcements, f),
        "Comparison": lambda: comparison_tab(view, headline, announcements_all, f),
        "Guidance history": lambda: history_chart_tab(announcements),
        "Announcements": lambda: announcements_tab(announcements),
        "Add announcement": lambda: add_tab(repo.companies_frame(engine())),
        "Import CSV": import_tab,
        "Edit history": history_tab,
    }
    # Only the open tab is rendered: the others cost nothing on a rerun. The open tab
    # is kept in the URL (?tab=...), so a view can be shared as a link.
    tabs = st.tabs(list(renderers), key="tab", on_change="rerun", bind="query-params")
    for tab, render in zip(tabs, renderers.values(), strict=True):
        if tab.open:
            with tab:
                render()


main()
