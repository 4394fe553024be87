"""Who may read and who may write: one policy for every page.

Sign-in uses Streamlit's built-in OpenID Connect (``st.login``, ``st.user``,
``st.logout``), configured by an ``[auth]`` section in ``.streamlit/secrets.toml``.
The settings below come from the environment or, failing that, from root-level keys of
``secrets.toml``:

- ``CAPEX_READ_REQUIRES_LOGIN`` (default off): with sign-in configured, only signed-in
  visitors see the data.
- ``CAPEX_EDITORS``: who may write when sign-in is configured, comma-separated. An entry
  is an e-mail address (any case), ``claim=value`` (a claim of the identity token equal
  to, or a list containing, the value, e.g. ``groups=capex-editors``), or ``*`` (every
  signed-in user). Empty: nobody may write.
- ``CAPEX_ALLOW_ANONYMOUS_WRITES`` (default off): without sign-in, a server listening on
  a network address (not loopback) is read-only unless this is set.

The rules (:func:`decide`): with sign-in configured, writing needs a signed-in user on
the editors list, and the history records that user's e-mail, never a typed name.
Without sign-in, a server bound to loopback (the default in ``.streamlit/config.toml``)
is one person's laptop: writes are allowed and the history records ``CAPEX_USER`` or the
login name; bound to any other address it is read-only, unless anonymous writes are
allowed explicitly (recorded as ``anonymous``).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from tracker.config import current_user

READ_REQUIRES_LOGIN = "CAPEX_READ_REQUIRES_LOGIN"
EDITORS = "CAPEX_EDITORS"
ALLOW_ANONYMOUS_WRITES = "CAPEX_ALLOW_ANONYMOUS_WRITES"
LOOPBACK_NAMES = ("localhost",)
ANONYMOUS = "anonymous"
MAX_IDENTITY = 200  # tracker.models.MAX_USER: the history column's width


@dataclass(frozen=True)
class Access:
    """Whether this visitor may write, as whom (for the history), and why (one sentence
    to show when they may not)."""

    can_write: bool
    user: str | None
    reason: str


@dataclass(frozen=True)
class Settings:
    auth_configured: bool
    read_requires_login: bool
    editors: tuple[str, ...]
    allow_anonymous_writes: bool
    server_address: str


# --- policy inputs (each one small, so tests can replace it) ------------------------


def _secrets() -> Mapping[str, Any]:
    if not st.secrets.load_if_toml_exists():  # no secrets file, or an unreadable one
        return {}
    return st.secrets.to_dict()


def setting(name: str) -> str:
    """A setting from the environment, else a root-level key of ``secrets.toml``."""
    value = os.environ.get(name)
    if value is None:
        value = _secrets().get(name)
    return "" if value is None else str(value).strip()


def flag(name: str) -> bool:
    return setting(name).lower() in ("1", "true", "yes", "on")


def auth_configured() -> bool:
    """Sign-in is configured: ``secrets.toml`` has an ``[auth]`` section."""
    return bool(_secrets().get("auth"))


def server_address() -> str:
    """The address the server listens on ('' when unset: every interface)."""
    return str(st.get_option("server.address") or "")


def identity() -> dict[str, Any] | None:
    """The signed-in user's claims, or None when nobody is signed in."""
    claims = dict(st.user.to_dict())
    return claims if claims.get("is_logged_in") else None


def settings() -> Settings:
    return Settings(
        auth_configured=auth_configured(),
        read_requires_login=flag(READ_REQUIRES_LOGIN),
        editors=tuple(e.strip() for e in setting(EDITORS).split(",") if e.strip()),
        allow_anonymous_writes=flag(ALLOW_ANONYMOUS_WRITES),
        server_address=server_address(),
    )


# --- the policy ----------------------------------------------------------------------


def is_loopback(address: str) -> bool:
    address = address.strip().strip("[]")
    if address.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False  # '' (every interface), 0.0.0.0 or a host name


def user_label(claims: Mapping[str, Any]) -> str:
    """What the history records for a signed-in user: the e-mail, else the subject."""
    label = str(claims.get("email") or "").strip() or f"sub:{claims.get('sub', '')}"
    return label[:MAX_IDENTITY]


def is_editor(claims: Mapping[str, Any], editors: tuple[str, ...]) -> bool:
    # An e-mail entry counts only when the provider says it verified the address: some
    # providers leave the claim out and let a tenant set any address.
    verified = claims.get("email_verified") is True
    email = str(claims.get("email") or "").strip().casefold() if verified else ""
    for entry in editors:
        if entry == "*":
            return True
        if "=" in entry:
            name, value = (part.strip() for part in entry.split("=", 1))
            claim = claims.get(name)
            values = claim if isinstance(claim, list | tuple) else [claim]
            if value in (str(v) for v in values if v is not None):
                return True
        elif email and entry.casefold() == email:
            return True
    return False


def decide(config: Settings, claims: Mapping[str, Any] | None) -> Access:
    """The policy itself: no Streamlit, no environment, only its inputs."""
    if config.auth_configured:
        if claims is None:
            return Access(False, None, "Sign in (in the sidebar) to add or change announcements.")
        label = user_label(claims)
        if not is_editor(claims, config.editors):
            return Access(
                False,
                label,
                f"You are signed in as {label}, who is not on the editors list "
                f"({EDITORS}); ask whoever runs the tracker to add you.",
            )
        return Access(True, label, f"Signed in as {label}.")
    if is_loopback(config.server_address):
        return Access(True, current_user()[:MAX_IDENTITY], "Local use: writes are allowed.")
    if config.allow_anonymous_writes:
        return Access(True, ANONYMOUS, f"Anonymous writes are allowed ({ALLOW_ANONYMOUS_WRITES}).")
    return Access(
        False,
        None,
        "This tracker is read-only because it is served on a network address without "
        "sign-in; configure sign-in ([auth] in .streamlit/secrets.toml) or set "
        f"{ALLOW_ANONYMOUS_WRITES}=1.",
    )


def write_access() -> Access:
    """May this visitor write? The one function every write page asks."""
    return decide(settings(), identity())


def read_blocked() -> str | None:
    """Why this visitor may not read, or None when they may."""
    config = settings()
    if not config.read_requires_login:
        return None
    if not config.auth_configured:
        return (
            f"{READ_REQUIRES_LOGIN} is set but sign-in is not configured ([auth] in "
            ".streamlit/secrets.toml); nothing is shown."
        )
    if identity() is None:
        return "Sign in (in the sidebar) to see the tracker."
    return None


# --- widgets -------------------------------------------------------------------------


def _provider() -> str | None:
    """The provider to sign in with: None for a single ``[auth]`` provider, else the
    first named ``[auth.NAME]`` section."""
    section = _secrets().get("auth") or {}
    if "client_id" in section:
        return None
    named = [k for k, v in section.items() if isinstance(v, Mapping)]
    return named[0] if named else None


def account_box() -> None:
    """The sidebar's sign-in button, or who is signed in and a sign-out button."""
    if not auth_configured():
        return
    claims = identity()
    if claims is None:
        provider = _provider()
        st.button(
            "Sign in",
            key="auth_sign_in",
            icon=":material/login:",
            on_click=st.login,
            args=(provider,) if provider else (),
        )
        return
    st.caption(_plain(f"Signed in as {user_label(claims)}"))
    st.button("Sign out", key="auth_sign_out", icon=":material/logout:", on_click=st.logout)


def read_only_notice(access: Access) -> None:
    """The one sentence a write page shows instead of its controls."""
    st.info(_plain(access.reason), icon=":material/lock:")


def _plain(text: str) -> str:
    """Text shown as typed, never as markdown (an e-mail address may show as a link)."""
    from dashboard.state import md_escape

    return md_escape(text)
