"""Smoke test of the real dashboard server in headless Chromium, as a person sees it.

Screenshots are written to ``artifacts/`` for a human to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit did not become healthy")


@pytest.fixture
def server(configured_env, tmp_path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard" / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_dashboard_renders_chart_and_table_in_chromium(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(server, wait_until="domcontentloaded")

        page.get_by_text("AI-infrastructure capex tracker").wait_for(timeout=60_000)
        chart = page.locator(".js-plotly-plot").first
        chart.wait_for(timeout=60_000)
        # Bars are drawn (not an empty "no data" figure) and the axis says the unit.
        page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot .bars path').length > 3",
            timeout=30_000,
        )
        assert "USD bn / year" in chart.inner_text()
        assert page.get_by_text("Total announced spend").first.is_visible()
        page.screenshot(path=str(ARTIFACTS / "dashboard-overview.png"), full_page=True)

        page.get_by_role("tab", name="Comparison").click()
        page.wait_for_url("**tab=Comparison**", timeout=30_000)  # the view is a shareable link
        table = page.locator('[data-testid="stDataFrame"]').first
        table.wait_for(state="visible", timeout=30_000)
        box = table.bounding_box()
        assert box and box["height"] > 100
        page.screenshot(path=str(ARTIFACTS / "dashboard-comparison.png"), full_page=True)

        page.get_by_role("tab", name="Guidance history").click()
        page.wait_for_function(
            "[...document.querySelectorAll('.js-plotly-plot')].some("
            "p => p.innerText.includes('how the plan moved'))",
            timeout=30_000,
        )
        page.screenshot(path=str(ARTIFACTS / "dashboard-guidance.png"), full_page=True)
        # No tab rendered a Python exception box.
        exceptions = page.locator('[data-testid="stException"]').count()
        browser.close()
    assert errors == []
    assert exceptions == 0
