"""Who may write (dashboard.auth), and pages that fail with one sentence.

The policy's inputs (is sign-in configured, who is signed in, the server address, the
settings in the environment) are replaced here; Streamlit's own machinery is not. The
sign-in itself, through a real OpenID provider, is in tests/test_browser_auth.py.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth, state
from dashboard.auth import Settings, decide, is_loopback
from tracker import bootstrap, queries

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
WRITE_PAGES = ("announcements", "add", "import_csv")
READ_ONLY = "This tracker is read-only because it is served on a network address"
ALICE = {
    "is_logged_in": True,
    "email": "alice@example.com",
    "email_verified": True,
    "sub": "alice",
    "name": "Alice",
}


def config(**changes) -> Settings:
    base = {
        "auth_configured": False,
        "read_requires_login": False,
        "editors": (),
        "allow_anonymous_writes": False,
        "server_address": "127.0.0.1",
    }
    return Settings(**{**base, **changes})


# --- the policy, on its own -----------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_addresses(address: str):
    assert is_loopback(address)


@pytest.mark.parametrize("address", ["", "0.0.0.0", "::", "192.168.1.5", "capex.example"])
def test_other_addresses_are_not_loopback(address: str):
    assert not is_loopback(address)


def test_without_sign_in_a_laptop_may_write_as_its_user(monkeypatch):
    monkeypatch.setenv("CAPEX_USER", "jane")
    access = decide(config(), None)
    assert access.can_write and access.user == "jane"


@pytest.mark.parametrize("address", ["", "0.0.0.0", "10.1.2.3"])
def test_without_sign_in_a_public_server_is_read_only(address: str):
    access = decide(config(server_address=address), None)
    assert not access.can_write and access.user is None
    assert access.reason.startswith(READ_ONLY)
    assert access.reason.count(". ") == 0  # one sentence


def test_anonymous_writes_need_the_explicit_setting():
    access = decide(config(server_address="0.0.0.0", allow_anonymous_writes=True), None)
    assert access.can_write and access.user == "anonymous"


def test_with_sign_in_a_signed_out_visitor_may_not_write_even_on_loopback():
    access = decide(config(auth_configured=True, editors=("*",)), None)
    assert not access.can_write and "Sign in" in access.reason


def test_editors_by_email_claim_or_everyone():
    signed_in = config(auth_configured=True)
    assert not decide(signed_in, ALICE).can_write  # empty list: nobody
    assert "not on the editors list" in decide(signed_in, ALICE).reason
    by_email = config(auth_configured=True, editors=("bob@example.com", "ALICE@example.com"))
    access = decide(by_email, ALICE)
    assert access.can_write and access.user == "alice@example.com"
    by_claim = config(auth_configured=True, editors=("groups=capex-editors",))
    assert decide(by_claim, {**ALICE, "groups": ["staff", "capex-editors"]}).can_write
    assert not decide(by_claim, {**ALICE, "groups": ["staff"]}).can_write
    assert decide(config(auth_configured=True, editors=("*",)), ALICE).can_write


def test_an_unverified_email_is_not_an_editor():
    editors = config(auth_configured=True, editors=("alice@example.com",))
    assert not decide(editors, {**ALICE, "email_verified": False}).can_write
    unstated = {k: v for k, v in ALICE.items() if k != "email_verified"}
    assert not decide(editors, unstated).can_write  # a missing claim is not a yes
    assert decide(editors, {**ALICE, "email_verified": True}).can_write


def test_the_recorded_identity_fits_the_history_column():
    long = {**ALICE, "email": "a" * 300 + "@example.com"}
    access = decide(config(auth_configured=True, editors=("*",)), long)
    assert access.can_write and len(access.user or "") == 200


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CAPEX_EDITORS", " a@example.com, groups=x ,,")
    monkeypatch.setenv("CAPEX_READ_REQUIRES_LOGIN", "true")
    monkeypatch.setenv("CAPEX_ALLOW_ANONYMOUS_WRITES", "0")
    monkeypatch.setattr(auth, "server_address", lambda: "0.0.0.0")
    monkeypatch.setattr(auth, "auth_configured", lambda: False)
    assert auth.settings() == Settings(False, True, ("a@example.com", "groups=x"), False, "0.0.0.0")


# --- the policy in the dashboard --------------------------------------------------------


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def run_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["as_of"] = "2026-03-01"
    at.run()
    at.switch_page(f"screens/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def has_write_controls(at: AppTest) -> bool:
    buttons = [b.label for b in at.button]
    return bool(
        "Save changes" in buttons
        or "Add announcement" in buttons
        or at.get("file_uploader")
        or any(s.key == "edit_id" for s in at.selectbox)
        or any(t.label == "Edit one" for t in at.tabs)  # the Announcements page's
    )


def notices(at: AppTest) -> list[str]:
    return [unescape(str(i.value)) for i in at.info]


@pytest.fixture
def public(configured_env, monkeypatch):
    monkeypatch.setattr(auth, "server_address", lambda: "0.0.0.0")
    monkeypatch.setattr(auth, "auth_configured", lambda: False)
    monkeypatch.delenv("CAPEX_ALLOW_ANONYMOUS_WRITES", raising=False)
    return configured_env


@pytest.fixture
def local(configured_env, monkeypatch):
    monkeypatch.setattr(auth, "server_address", lambda: "127.0.0.1")
    monkeypatch.setattr(auth, "auth_configured", lambda: False)
    return configured_env


@pytest.fixture
def signed_in_setup(configured_env, monkeypatch):
    """Sign-in configured; the test decides who is signed in."""
    monkeypatch.setattr(auth, "server_address", lambda: "0.0.0.0")
    monkeypatch.setattr(auth, "auth_configured", lambda: True)
    monkeypatch.setenv("CAPEX_EDITORS", "alice@example.com")
    return monkeypatch


@pytest.mark.parametrize("page", WRITE_PAGES)
def test_public_bind_without_sign_in_is_read_only(public, page: str):
    at = run_page(page)
    assert not has_write_controls(at)
    assert sum(n.startswith(READ_ONLY) for n in notices(at)) == 1, notices(at)
    assert at.title  # the page itself is still there for readers


def test_public_bind_still_lists_the_announcements(public):
    at = run_page("announcements")
    assert len(at.dataframe[0].value) == 31


@pytest.mark.parametrize("page", WRITE_PAGES)
def test_localhost_has_write_controls(local, page: str):
    at = run_page(page)
    assert has_write_controls(at)
    assert not any(n.startswith(READ_ONLY) for n in notices(at))


def test_anonymous_writes_when_allowed_are_recorded_as_anonymous(public, monkeypatch):
    monkeypatch.setenv("CAPEX_ALLOW_ANONYMOUS_WRITES", "1")
    at = run_page("announcements")
    at.session_state["announcements_tab"] = "Edit one"
    at.run()
    at.selectbox(key="edit_id").set_value(5)
    at.run()
    at.text_area(key="edit_5_1_notes").set_value("checked anonymously")
    at.button[[b.label for b in at.button].index("Save changes")].click()
    at.run()
    assert not at.exception
    history = queries.history_frame(bootstrap.get_engine())
    assert history.iloc[0]["changed_by"] == "anonymous"


@pytest.mark.parametrize("page", WRITE_PAGES)
def test_signed_out_visitor_sees_sign_in_and_no_write_controls(signed_in_setup, page: str):
    signed_in_setup.setattr(auth, "identity", lambda: None)
    at = run_page(page)
    assert not has_write_controls(at)
    assert any(n.startswith("Sign in") for n in notices(at))
    assert [b.label for b in at.sidebar.button] == ["Sign in"]


def test_signed_in_editor_writes_under_their_email(signed_in_setup, monkeypatch):
    monkeypatch.setenv("CAPEX_USER", "typed-name")  # never used when signed in
    signed_in_setup.setattr(auth, "identity", lambda: dict(ALICE))
    at = run_page("announcements")
    assert "Sign out" in [b.label for b in at.sidebar.button]
    assert any("alice@example.com" in unescape(c.value) for c in at.sidebar.caption)
    at.session_state["announcements_tab"] = "Edit one"
    at.run()
    at.selectbox(key="edit_id").set_value(5)
    at.run()
    at.text_area(key="edit_5_1_notes").set_value("checked by alice")
    at.button[[b.label for b in at.button].index("Save changes")].click()
    at.run()
    assert not at.exception
    history = queries.history_frame(bootstrap.get_engine())
    assert history.iloc[0]["changed_by"] == "alice@example.com"


def test_signed_in_non_editor_is_told_why(signed_in_setup):
    signed_in_setup.setattr(auth, "identity", lambda: {**ALICE, "email": "eve@example.com"})
    at = run_page("add")
    assert not has_write_controls(at)
    assert any("eve@example.com, who is not on the editors list" in n for n in notices(at))


def test_reading_can_require_sign_in(signed_in_setup, monkeypatch):
    monkeypatch.setenv("CAPEX_READ_REQUIRES_LOGIN", "1")
    # As on a cold server (nothing loaded yet): a blocked visitor gets no loading line
    # and no hidden chart either.
    monkeypatch.setattr(state, "_FIRST_VIEW_READY", threading.Event())
    signed_in_setup.setattr(auth, "identity", lambda: None)
    first = AppTest.from_file(APP, default_timeout=120).run()
    assert not first.caption and not first.get("plotly_chart")
    at = run_page("overview")
    assert not at.dataframe and not at.get("plotly_chart") and not at.metric
    assert notices(at) == ["Sign in (in the sidebar) to see the tracker."]
    signed_in_setup.setattr(auth, "identity", lambda: dict(ALICE))
    at = run_page("overview")
    assert at.metric


def test_read_requires_sign_in_without_sign_in_configured_shows_nothing(local, monkeypatch):
    monkeypatch.setenv("CAPEX_READ_REQUIRES_LOGIN", "1")
    at = run_page("overview")
    assert not at.metric
    assert "sign-in is not configured" in notices(at)[0]


# --- failures: one sentence, no traceback ------------------------------------------------


@pytest.mark.parametrize("page", ["overview", "announcements", "history"])
def test_corrupt_database_file_shows_one_sentence(tmp_path, test_data, monkeypatch, page: str):
    from tests.conftest import _forget_engines

    db = tmp_path / "corrupt.sqlite"
    db.write_bytes(b"this is not a database, just garbage " * 200)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CAPEX_DB_PATH", str(db))
    monkeypatch.setattr(auth, "server_address", lambda: "127.0.0.1")
    _forget_engines()
    try:
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        if page != "overview":
            at.switch_page(f"screens/{page}.py")
            at.run()
    finally:
        _forget_engines()
    assert not at.exception
    messages = [unescape(e.value) for e in at.error]
    assert len(messages) == 1, messages
    assert "the database file is damaged" in messages[0]
    assert "Traceback" not in messages[0] and str(tmp_path) not in messages[0]


def test_a_database_error_inside_a_page_shows_one_sentence(local, monkeypatch):
    """A failure after the data loaded (here: the history query) is caught by the guard
    around every page."""
    from sqlalchemy.exc import OperationalError

    def broken(*_args, **_kwargs):
        raise OperationalError("SELECT ...", {}, Exception("disk I/O error"))

    monkeypatch.setattr(queries, "history_frame", broken)
    at = run_page("history")
    messages = [unescape(e.value) for e in at.error]
    assert messages == [
        "could not show this page: the database refused the operation; see the server log "
        "for details"
    ]
    # The sidebar still comes after the failed page: its links and filters.
    assert at.sidebar.multiselect(key="f_companies")
    assert any("Overview" in str(link.proto.label) for link in at.sidebar.get("page_link"))
