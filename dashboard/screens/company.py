"""Company: one company's series, quarters, guidance track record and every source."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, state
from tracker import views


def render(ctx: state.Context) -> None:
    state.header(ctx, "Company")
    names = sorted(ctx.companies["name"].astype(str))
    if ctx.query.companies:
        names = [n for n in names if n in ctx.query.companies] or names
    if not names:
        state.show_empty("No companies yet; add an announcement or import a CSV.")
        return
    company = st.selectbox("Company", names, key="company_name")
    own = ctx.company_announcements()
    own = own[own["company"] == company]
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

    st.subheader("Capex by calendar year")
    series = ctx.headline[ctx.headline["company"] == company]
    st.plotly_chart(
        charts.company_series(series, ctx.measure, company),
        key="company_series",
        config={"displaylogo": False},
    )
    if not series.empty:
        st.caption(
            state.md_escape(
                state.footnote(ctx, f"{ctx.measure_label}; lighter bars are partial years")
            )
        )

    quarters = views.quarterly_actuals(own)
    if not quarters.empty:
        st.subheader("Reported quarters")
        st.plotly_chart(
            charts.quarterly(quarters, company),
            key="company_quarters",
            config={"displaylogo": False},
        )
        st.dataframe(views.run_rate(quarters), hide_index=True, key="company_run_rate")
        metrics = ctx.filing_metrics()
        metrics = metrics[metrics["company"] == company]
        if not metrics.empty:
            intensity = views.capex_intensity(quarters, metrics)
            if not intensity.empty:
                st.markdown("**Capex intensity** (capex / revenue and / operating cash flow)")
                st.dataframe(intensity, hide_index=True, key="company_intensity")

    st.subheader("Guidance history")
    history = views.guidance_history(own)
    st.plotly_chart(
        charts.guidance_history(history, company),
        key="company_guidance",
        config={"displaylogo": False},
    )
    delivered = views.guided_vs_delivered(history)
    if not delivered.empty:
        st.markdown("**Guided vs delivered** (USD bn for the guided period)")
        st.dataframe(delivered, hide_index=True, key="company_delivered")

    figures = ctx.figures()
    figures = figures[figures["company"] == company]
    programmes = views.programmes_table(figures, own) if not own.empty else figures.iloc[0:0]
    if not programmes.empty:
        st.subheader("Pledges and programmes (never in totals)")
        st.dataframe(
            programmes,
            hide_index=True,
            column_config={"source_url": state.link_column()},
            key="company_programmes",
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
    )


render(state.frame("company"))
