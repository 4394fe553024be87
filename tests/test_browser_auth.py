"""Sign-in for writes, end to end: the real dashboard, a local OpenID Connect provider
(``oidc-provider-mock``) and headless Chromium.

A signed-out visitor sees no write controls; Alice signs in through the provider, edits
an announcement, and the Edit history shows her e-mail as who made the change.

Everything uses 127.0.0.1 (the redirect URI, the provider's metadata URL and the
browser's address): with ``localhost`` in one place and 127.0.0.1 in another the
sign-in cookie is set for the wrong host and the callback silently fails. The app reads
its ``[auth]`` section from a secrets file in the test's temporary folder
(``--secrets.files``), never from the checkout.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, dashboard_server, free_port, settled, stop
from tracker import bootstrap, queries

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]

ALICE = {"email": "alice@example.com", "email_verified": True, "name": "Alice Analyst"}
NOTE = "Checked against the 10-K by Alice"


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[str]:
    """oidc-provider-mock on 127.0.0.1, with Alice's claims set."""
    port = free_port()
    log = (tmp_path / "oidc.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("oidc-provider-mock did not start") from None
                time.sleep(0.2)
        request = urllib.request.Request(
            f"{url}/users/alice",
            data=json.dumps(ALICE).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as resp:
            assert resp.status == 204
        yield url
    finally:
        stop(proc)
        log.close()


@pytest.fixture
def signed_in_server(configured_env, provider: str, tmp_path: Path) -> Iterator[str]:
    """The dashboard with sign-in configured and Alice on the editors list."""
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "capex-tracker"\n'
        'client_secret = "not-a-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    env = {
        "CAPEX_EDITORS": "alice@example.com",
        "CAPEX_USER": "typed-name-must-not-appear",
    }
    args = ("--secrets.files", str(secrets_file))
    with dashboard_server(tmp_path, port, env, args) as url:
        yield url


def _write_controls(page) -> int:
    return (
        page.get_by_role("button", name="Save changes").count()
        + page.get_by_role("button", name="Add announcement").count()
        + page.locator('[data-testid="stFileUploader"]').count()
        + page.get_by_text("Edit an announcement", exact=True).count()
    )


def test_sign_in_edit_and_the_history_names_the_signed_in_user(signed_in_server: str):
    from playwright.sync_api import sync_playwright

    app = signed_in_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        # Signed out: every write page shows the sentence, and no write controls.
        for path, title in (
            ("announcements", "Announcements"),
            ("add", "Add announcement"),
            ("import", "Import CSV"),
        ):
            page.goto(f"{app}/{path}?as_of=2026-03-01", wait_until="domcontentloaded")
            settled(page, title, draw_ms=500)
            assert _write_controls(page) == 0, path
            assert page.get_by_text("Sign in (in the sidebar) to add or change").count() == 1
        assert page.locator('[data-testid="stException"]').count() == 0

        # Sign in through the provider's form.
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
        page.fill("input[name=sub]", "alice")
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(f"{app}/**", timeout=30_000)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Signed in as alice@example.com").wait_for(timeout=60_000)

        # Edit an announcement: the notes of the first one in the list.
        page.goto(
            f"{app}/announcements?as_of=2026-03-01&announcements_tab=Edit+one",
            wait_until="domcontentloaded",
        )
        settled(page, "Announcements", draw_ms=500)
        page.get_by_role("button", name="Save changes").wait_for(timeout=60_000)
        assert page.get_by_text("Sign in (in the sidebar)").count() == 0
        notes = page.get_by_role("textbox", name="Notes")
        notes.fill(NOTE)
        page.get_by_role("button", name="Save changes").click()
        page.get_by_text("Saved announcement #").wait_for(timeout=60_000)
        page.screenshot(path=str(_artifacts() / "signed-in-edit.png"), full_page=True)

        # The Edit history names Alice (the grid is drawn on a canvas; its
        # accessibility table holds the visible cells).
        page.goto(f"{app}/history?as_of=2026-03-01", wait_until="domcontentloaded")
        settled(page, "Edit history", draw_ms=500)
        grid = page.locator('[data-testid="stDataFrame"]').first
        grid.wait_for(state="visible", timeout=30_000)
        page.wait_for_function(
            "Array.from(document.querySelectorAll('[data-testid=\"stDataFrame\"] td'))"
            ".some(td => td.textContent.includes('alice@example.com'))",
            timeout=30_000,
        )
        page.screenshot(path=str(_artifacts() / "signed-in-history.png"), full_page=True)

        # Sign out (through the provider's end-session page): write controls are gone.
        sidebar.get_by_role("button", name="Sign out").click()
        end_session = page.get_by_role("button", name="End session")
        end_session.wait_for(timeout=30_000)
        end_session.click()
        page.wait_for_url(f"{app}/**", timeout=30_000)
        page.goto(f"{app}/add?as_of=2026-03-01", wait_until="domcontentloaded")
        settled(page, "Add announcement", draw_ms=500)
        assert _write_controls(page) == 0
        browser.close()
    assert errors == []

    history = queries.history_frame(bootstrap.get_engine())
    latest = history.iloc[0]
    assert latest["changed_by"] == "alice@example.com"
    assert NOTE in str(latest["changes"])


def _artifacts() -> Path:
    folder = ROOT / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder
