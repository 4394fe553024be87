"""Company: one company's series, quarters, guidance track record and every source."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, state
from tracker import exports, views

_SHOWN = "_company_shown"
TABS = ("By year", "Quarters", "Guidance", "Announcements")


def render(ctx: state.Context) -> None:
    state.header(ctx, "Company")
    names = sorted(ctx.companies["name"].astype(str))
    if ctx.query.companies:
        names = [n for n in names if n in ctx.query.companies] or names
    if not names:
        state.show_empty("No companies yet; add an announcement or import a CSV.")
        return
    # The chosen company is part of the link (``?company=Meta``), so a copied link opens it.
    wanted = st.query_params.get("company")
    if wanted in names and st.session_state.get(_SHOWN) != wanted:
        st.session_state["company_name"] = wanted
    company = st.selectbox("Company", names, key="company_name")
    st.session_state[_SHOWN] = company
    if st.query_params.get("company") != company:
        st.query_params["company"] = company
    own = ctx.company_announcements()
    own = own[own["company"] == company]
    if own.empty:
        state.show_empty(f"No announcements of {company} match these filters and date.")
        return
    info = ctx.companies[ctx.companies["name"] == company].iloc[0]
    facts = [
        f"Country: {info['country']}",
        f"Fiscal year ends in month {info['fiscal_year_end_month']}",
    ]
    if info["ticker"]:
        facts.append(f"Ticker: {info['ticker']}")
    if info["venture_partners"]:
        facts.append(f"Joint venture of: {info['venture_partners']}")
    st.caption(state.md_escape(" · ".join(facts)))

    # One tab at a time: only the open tab is computed and sent (a page with every
    # section, three charts and six tables, took over a second to draw in the browser).
    # The open tab is in the link (``?company_tab=Quarters``).
    tabs = st.tabs(list(TABS), key="company_tab", on_change="rerun", bind="query-params")
    for tab, draw in zip(tabs, (_by_year, _quarters, _guidance, _announcements), strict=True):
        if tab.open:
            with tab:
                draw(ctx, company, own)


def _by_year(ctx: state.Context, company: str, own: pd.DataFrame) -> None:
    series = ctx.headline[ctx.headline["company"] == company]
    state.chart(
        ctx,
        state.figure(charts.company_series, series, ctx.measure, company),
        "company_series",
        f"{company}-by-year",
        exports.annual_table(series),
    )
    if not series.empty:
        st.caption(
            state.md_escape(
                state.footnote(ctx, f"{ctx.measure_label}; lighter bars are partial years")
            )
        )


def _quarters(ctx: state.Context, company: str, own: pd.DataFrame) -> None:
    quarters = views.quarterly_actuals(own)
    if quarters.empty:
        state.show_empty(f"No quarterly actuals for {company} at this date.")
        return
    history = ctx.guidance_history(company)
    st.subheader("Reported quarters beside the guidance")
    guidance = views.latest_guidance(history, tuple(quarters["scope"].unique()))
    state.chart(
        ctx,
        state.figure(charts.quarterly, quarters, company, guidance),
        "company_quarters",
        f"{company}-quarters",
        quarters,
    )
    st.caption(
        state.md_escape(
            state.footnote(
                ctx,
                "reported quarters (latest report per quarter); dashed: the latest "
                "guidance for each guided period divided by four",
            )
        )
    )
    st.markdown("**Quarters** (USD bn)")
    st.dataframe(
        quarters.assign(
            quarter=[
                f"{pd.Timestamp(s):%Y-%m} to {pd.Timestamp(e):%Y-%m}"
                for s, e in zip(quarters["period_start"], quarters["period_end"], strict=True)
            ]
        )[["quarter", "mid_usd", "qualifier", "id", "announced_on", "source_url"]],
        hide_index=True,
        column_config={
            "mid_usd": st.column_config.NumberColumn("Capex, USD bn", format="%.2f"),
            "id": st.column_config.NumberColumn("Announcement", format="#%d"),
            "announced_on": st.column_config.DateColumn("Filed", format="YYYY-MM-DD"),
            "source_url": state.link_column(),
        },
        key="company_quarter_table",
        placeholder="–",
    )
    st.markdown("**Run rate** (latest quarter × 4, and the trailing four quarters)")
    st.dataframe(
        views.run_rate(quarters),
        hide_index=True,
        column_config=dict.fromkeys(
            ("latest_quarter_usd_bn", "run_rate_usd_bn", "trailing_4q_usd_bn"), state.MONEY
        ),
        key="company_run_rate",
        placeholder="–",
    )
    metrics = ctx.filing_metrics()
    metrics = metrics[metrics["company"] == company]
    if not metrics.empty:
        intensity = views.capex_intensity(quarters, metrics)
        if not intensity.empty:
            st.markdown(
                "**Capex intensity** (capex / revenue and / operating cash flow, per "
                "quarter and over the trailing four quarters, from the filings)"
            )
            st.dataframe(
                intensity,
                hide_index=True,
                column_config={
                    "period_start": st.column_config.DateColumn("Quarter from", format="YYYY-MM"),
                    **{c: state.MONEY for c in ("capex", "revenue", "operating_cash_flow")},
                    **{c: state.PERCENT for c in intensity.columns if c.endswith("%")},
                },
                key="company_intensity",
                placeholder="–",
            )


def _guidance(ctx: state.Context, company: str, own: pd.DataFrame) -> None:
    st.subheader("Guidance history")
    history = ctx.guidance_history(company)
    # Reported quarters have their own chart (Quarters tab); here each would be a line.
    plans = history[~((history["kind"] == "actual") & (history["months"] == 3))]
    state.chart(
        ctx,
        state.figure(charts.guidance_history, plans, company),
        "company_guidance",
        f"{company}-guidance-history",
        state.guidance_data(plans, company),
    )
    delivered = ctx.guided_vs_delivered(company)
    if not delivered.empty:
        st.markdown(
            "**Guided vs delivered** (USD bn for the guided period; how far the reported "
            "actual landed from the first and the last guidance)"
        )
        state.guided_vs_delivered_table(delivered, "company_delivered")


def _announcements(ctx: state.Context, company: str, own: pd.DataFrame) -> None:
    figures = ctx.company_figures(company)
    programmes = views.programmes_table(figures, own) if not own.empty else figures.iloc[0:0]
    if not programmes.empty:
        st.subheader("Pledges and programmes (never in totals)")
        st.dataframe(
            programmes,
            hide_index=True,
            column_config={"source_url": state.link_column()},
            key="company_programmes",
            placeholder="–",
        )

    st.subheader("Every announcement")
    listed = figures[figures["id"].isin(own["id"])]
    st.dataframe(
        listed[
            [
                "id",
                "announced_on",
                "kind",
                "scope",
                "period",
                "figure",
                "usd_per_year",
                "status",
                "source_type",
                "evidence",
                "source_url",
                "notes",
            ]
        ],
        hide_index=True,
        column_config={
            "source_url": state.link_column(),
            "announced_on": st.column_config.DateColumn("Announced", format="YYYY-MM-DD"),
        },
        key="company_announcements",
        placeholder="–",
    )


state.run("company", render)
