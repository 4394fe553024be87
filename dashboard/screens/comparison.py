"""Comparison: companies by calendar year, where each figure comes from, and every basis
(pledge, guidance, actual) side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state, tables
from tracker import exports
from tracker.views import (
    basis_table,
    comparison_table,
    coverage_table,
    scope_labels,
    sources_table,
)
from tracker.vocab import Kind

TABS = ("By year", "Sources", "Pledge, guidance and actual")


def _exports(ctx: state.Context) -> None:
    """The comparison and annual tables as sent: CSV with a header block naming the view,
    and an Excel workbook with Sources and About sheets (see tracker.exports)."""
    info = state.export_info(ctx)

    # The tables too are built when a button is clicked (0.13 s a visit at 100k).
    def comparison() -> pd.DataFrame:
        return exports.comparison_export(ctx.headline, ctx.measure)

    def annual() -> pd.DataFrame:
        return exports.annual_table(ctx.headline)

    one, two, three, _rest = st.columns([2, 2, 2, 3])
    with one:
        st.download_button(
            "Download CSV",
            # Built when clicked, not on every run of the page.
            data=lambda: exports.to_csv(comparison(), info, "comparison"),
            file_name=exports.file_name("comparison", info, "csv"),
            mime="text/csv",
            key="download_comparison_csv",
            icon=":material/download:",
            on_click="ignore",
        )
    with two:
        st.download_button(
            "Annual figures (CSV)",
            data=lambda: exports.to_csv(annual(), info, "annual figures"),
            file_name=exports.file_name("annual", info, "csv"),
            mime="text/csv",
            key="download_annual_csv",
            icon=":material/download:",
            on_click="ignore",
        )
    with three:
        st.download_button(
            "Excel workbook",
            data=lambda: exports.to_xlsx(
                {"Comparison": comparison(), "Annual": annual()},
                exports.sources(ctx.headline, ctx.announcements),
                info,
            ),
            file_name=exports.file_name("comparison", info, "xlsx"),
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="download_comparison_xlsx",
            icon=":material/table_view:",
            on_click="ignore",
        )


def render(ctx: state.Context) -> None:
    state.header(
        ctx,
        "Comparison",
        f"USD bn per calendar year ({ctx.measure_label}). Grey italic cells cover part of "
        "the year only and are not comparable; YoY % compares like with like only.",
    )
    if ctx.headline.empty:
        state.show_empty("No capex figures match these filters.")
        return
    # One tab at a time: each is a large table (the three together took 0.7 s to open
    # at 100k). The open tab is in the link (``?comparison_tab=Sources``).
    tabs = st.tabs(list(TABS), key="comparison_tab", on_change="rerun", bind="query-params")
    for tab, draw in zip(tabs, (_by_year, _sources, _by_basis), strict=True):
        if tab.open:
            with tab:
                draw(ctx)


def _by_year(ctx: state.Context) -> None:
    """Companies by calendar year (partial years greyed), with the exports (which hold
    every company)."""
    headline = ctx.headline
    totals = headline.groupby("company")[ctx.measure].sum()
    shown = tables.MAX_COMPARED
    if len(totals) > shown:
        largest = totals.nlargest(shown).index
        headline = headline[headline["company"].isin(largest)]
        st.caption(
            f"The {shown} largest of {len(totals):,} companies (by their figures added "
            "over the years shown); filter by company for the others. The downloads hold "
            "every company."
        )
    table = comparison_table(headline, ctx.measure)
    coverage = coverage_table(headline)
    st.dataframe(
        tables.greyed_partial_years(table, coverage),
        hide_index=True,
        column_config={"company": "Company", "measure": "Measure"},
        key="comparison_table",
        placeholder="–",
    )
    _exports(ctx)


def _sources(ctx: state.Context) -> None:
    """Where each figure comes from: the announcement behind each company-year."""
    sources = sources_table(ctx.headline, ctx.announcements)
    sources = sources[
        [
            "company",
            "year",
            ctx.measure,
            "months",
            "basis",
            "scope",
            "qualifier",
            "announcement_id",
            "announced_period",
            "source_type",
            "source",
        ]
    ].rename(columns={ctx.measure: "USD bn"})
    st.dataframe(
        sources,
        hide_index=True,
        column_config={
            "source": state.link_column(),
            "USD bn": st.column_config.NumberColumn(format="%.1f"),
            "announcement_id": st.column_config.NumberColumn("Announcement", format="#%d"),
        },
        key="sources_table",
        placeholder="–",
    )
    state.download(sources, "capex-sources.csv")


def _by_basis(ctx: state.Context) -> None:
    """Pledge, guidance and actual of each company, scope and year side by side."""
    st.caption(
        "Never added together: each column is one kind of statement for the same company, "
        "scope and year."
    )
    basis = basis_table(ctx.view, ctx.by_basis, ctx.measure)
    basis = basis.assign(scope=scope_labels(basis["scope"]))
    money = [k for k in Kind.values()] + ["actual vs guidance %"]
    st.dataframe(
        basis,
        hide_index=True,
        column_config={
            "year": st.column_config.NumberColumn(format="%d"),
            **{c: st.column_config.NumberColumn(format="%.1f") for c in money},
        },
        key="basis_table",
        placeholder="–",
    )
    state.download(basis, "capex-by-basis.csv")


state.run("comparison", render)
