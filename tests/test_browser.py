"""Smoke test of the real dashboard server in headless Chromium, as a person sees it.

Screenshots are written to ``artifacts/`` for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, dashboard_server, settled
from tracker import bootstrap, queries, sec, sync

pytestmark = pytest.mark.browser


@pytest.fixture
def server(configured_env, tmp_path) -> Iterator[str]:
    with dashboard_server(tmp_path) as url:
        yield url


# The default page (Overview) lives at the root URL.
LINK = "?companies=Meta,Amazon&years=2024-2026&as_of=2026-03-01"
PAGES = {
    "": "AI-infrastructure capex tracker",
    "comparison": "Comparison",
    "company": "Company",
    "compare-announcements": "Compare announcements",
    "programmes": "Programmes & pledges",
    "guidance-history": "Guidance history",
    "whats-new": "What's new",
    "announcements": "Announcements",
    "add": "Add announcement",
    "import": "Import CSV",
    "history": "Edit history",
    "methodology": "Methodology",
}


def _metrics(page) -> list[str]:
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stMetric\"]').length >= 2", timeout=30_000
    )
    return page.locator('[data-testid="stMetric"]').all_inner_texts()


def _edit_grid_cell(page, row: int, x: float, text: str) -> None:
    """Type into one cell of the Announcements grid (a canvas, so by position): double-
    click the cell of data row ``row`` (0-based) at ``x`` pixels from the grid's left
    edge, replace its text and press Enter."""
    grid = page.locator('[data-testid="stDataFrame"]').first  # the grid's own tab
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    row_height = 35  # glide-data-grid's default row and header height in Streamlit
    editor = page.locator("textarea.gdg-input, input.gdg-input").first
    for _attempt in range(5):  # the grid may still be drawing after the page settled
        page.mouse.dblclick(box["x"] + x, box["y"] + row_height * (row + 1) + row_height / 2)
        try:
            editor.wait_for(state="visible", timeout=3_000)
            break
        except Exception:
            page.keyboard.press("Escape")
    editor.fill(text)
    editor.press("Enter")  # commits the cell


def _no_exceptions(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_shared_link_back_button_download_and_screenshots(server, tmp_path):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        errors: list[str] = []
        requested: list[str] = []

        def fresh():
            context = browser.new_context(
                viewport={"width": 1440, "height": 1000}, accept_downloads=True
            )
            context.on("request", lambda request: requested.append(request.url))
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            return context, page

        # A shared link opens the same view in a fresh browser.
        first_ctx, page = fresh()
        page.goto(f"{server}/{LINK}", wait_until="domcontentloaded")
        settled(page, PAGES[""])
        figures = _metrics(page)
        # Meta 2026 guidance 115-135 (mid 125) + Amazon ~200 = 325.0.
        assert any("325.0 USD bn" in m for m in figures), figures
        page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot .bars path').length > 1",
            timeout=30_000,
        )
        chart = page.locator(".js-plotly-plot").first
        assert "Meta" in chart.inner_text() and "Alphabet" not in chart.inner_text()
        # The hidden chart that fetched plotly's code while the data loaded is gone.
        assert page.locator(".st-key-chart_code_loader").count() == 0
        assert page.locator(".js-plotly-plot").count() == 1
        page.screenshot(path=str(ARTIFACTS / "dashboard-overview.png"), full_page=True)
        # One chart at a time: the timeline is drawn when its tab opens, into the link.
        assert page.get_by_text("Capex per company and calendar year").count() == 0
        page.get_by_role("tab", name="Over time").click()
        page.wait_for_url("**overview_tab=Over**", timeout=30_000)
        page.get_by_text("Capex per company and calendar year").first.wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "dashboard-overview-over-time.png"), full_page=True)
        page.get_by_role("tab", name="Ranking").click()
        page.wait_for_url(lambda url: "overview_tab" not in url, timeout=30_000)
        settled(page, PAGES[""])
        # A chart's data is built when its button is clicked (not on every run).
        with page.expect_download() as chart_download:
            page.get_by_role("button", name="Chart data (CSV)").first.click()
        chart_csv = tmp_path / "chart.csv"
        chart_download.value.save_as(chart_csv)
        chart_text = chart_csv.read_text(encoding="utf-8")
        assert chart_text.startswith("# capex-tracker export: data behind the ")
        assert "Meta" in chart_text and "Alphabet" not in chart_text

        second_ctx, other = fresh()
        other.goto(f"{server}/{LINK}", wait_until="domcontentloaded")
        settled(other, PAGES[""])
        assert _metrics(other) == figures
        second_ctx.close()

        # Another page keeps the filters in its link; Back returns to the same view.
        # (The sidebar links carry the view's query string.)
        page.get_by_role("link", name="Comparison").first.click()
        page.wait_for_function("location.pathname.endsWith('/comparison')", timeout=30_000)
        assert "companies=Meta,Amazon" in unquote(page.url)
        settled(page, PAGES["comparison"])
        table = page.locator('[data-testid="stDataFrame"]').first
        table.wait_for(state="visible", timeout=30_000)
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Download CSV").first.click()
        saved = tmp_path / "comparison.csv"
        download_info.value.save_as(saved)
        text = saved.read_text(encoding="utf-8")
        assert download_info.value.suggested_filename == (
            "capex-comparison_asof-2026-03-01_data-2026-02-05_companies-Meta+Amazon_"
            "years-2024-2026.csv"
        )
        assert text.startswith("# capex-tracker export: comparison\n")
        assert "# data as of: 2026-02-05" in text
        assert "company,measure," in text and "Meta" in text and "Alphabet" not in text
        settled(page, PAGES["comparison"])
        page.go_back(wait_until="commit")
        # Back is a same-document history step: no load event, so watch the location.
        page.wait_for_function("!location.pathname.includes('comparison')", timeout=30_000)
        settled(page, PAGES[""])
        assert _metrics(page) == figures
        assert "companies=Meta,Amazon" in unquote(page.url)

        # A chart downloads as an image named after the view (plotly's camera button).
        page.goto(f"{server}/{LINK}", wait_until="domcontentloaded")
        settled(page, PAGES[""])
        chart = page.locator(".js-plotly-plot").first
        chart.hover()
        with page.expect_download() as image_info:
            page.locator('button[data-title="Download plot as a PNG"]').first.click(force=True)
        assert image_info.value.suggested_filename == (
            "capex-ranking-2026_asof-2026-03-01_data-2026-02-05_companies-Meta+Amazon_"
            "years-2024-2026.png"
        )
        image_info.value.save_as(tmp_path / "chart.png")
        assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"

        # A typed as-of date applies on Enter (without leaving the field).
        as_of = page.locator('[data-testid="stSidebar"]').get_by_label("As of", exact=True)
        as_of.fill("2025-05-15")
        as_of.press("Enter")
        page.wait_for_function("location.search.includes('as_of=2025-05-15')", timeout=30_000)
        settled(page, PAGES[""])
        page.screenshot(path=str(ARTIFACTS / "dashboard-as-of-enter.png"), full_page=True)

        # Edit a row through the grid: Microsoft's FY2025 guidance (#2), notes column.
        # Filtered to Microsoft the grid lists #3, #2, #1 (newest first); on this data
        # the amount_high column sits about 610 px from the grid's left edge (see the
        # screenshot page-announcements-grid-saved.png).
        page.goto(
            f"{server}/announcements?as_of=2026-03-01&companies=Microsoft"
            "&announcements_tab=Edit+in+a+grid",
            wait_until="domcontentloaded",
        )
        settled(page, PAGES["announcements"])
        _edit_grid_cell(page, row=1, x=610, text="84")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "page-announcements-grid-edited.png"))
        page.get_by_role("button", name="Save 1 changed row(s)").click()
        page.get_by_text("Saved #2.").wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "page-announcements-grid-saved.png"), full_page=True)
        stored = queries.announcements_frame(bootstrap.get_engine()).set_index("id")
        assert (stored.loc[2, "amount_low"], stored.loc[2, "amount_high"]) == (80, 84)
        assert stored.loc[2, "version"] == 2

        # The company page with quarters synced from SEC filings (fixtures).
        sync.sync(bootstrap.get_engine(), sec.load_companyfacts_dir(ROOT / "tests/fixtures/sec"))
        page.goto(
            f"{server}/company?as_of=2026-03-01&company=Microsoft", wait_until="domcontentloaded"
        )
        settled(page, PAGES["company"])
        # Only the open tab is drawn; the open tab goes into the link.
        assert page.get_by_text("Run rate").count() == 0
        page.get_by_role("tab", name="Quarters").click()
        page.get_by_text("Run rate").first.wait_for(timeout=30_000)
        page.wait_for_url("**company_tab=Quarters**", timeout=30_000)
        page.get_by_text("Capex intensity").first.wait_for(timeout=30_000)
        _no_exceptions(page)
        page.screenshot(path=str(ARTIFACTS / "page-company-microsoft-sec.png"), full_page=True)
        # The main area scrolls on its own: one screenshot per section.
        for name, heading in (
            ("quarters", "Reported quarters beside the guidance"),
            ("intensity", "Capex intensity"),
        ):
            page.get_by_text(heading).first.scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            page.screenshot(path=str(ARTIFACTS / f"page-company-microsoft-{name}.png"))

        # Every page, for a person to look at.
        for path, title in PAGES.items():
            page.goto(f"{server}/{path}?as_of=2026-03-01", wait_until="domcontentloaded")
            settled(page, title)
            _no_exceptions(page)
            assert page.get_by_text("Page not found").count() == 0
            name = path or "overview"
            page.screenshot(path=str(ARTIFACTS / f"page-{name}.png"), full_page=True)
        first_ctx.close()
        browser.close()
    assert errors == []
    # Nothing is fetched from anywhere but the dashboard's own server: a Material icon
    # as the page icon made every page ask Google's font server for the favicon.
    own = urlparse(server).netloc
    elsewhere = [
        url
        for url in requested
        if urlparse(url).scheme in ("http", "https") and urlparse(url).netloc != own
    ]
    assert elsewhere == [], elsewhere[:5]
    assert len(requested) > 50  # the pages' own requests were seen
