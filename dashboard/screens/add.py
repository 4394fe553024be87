"""Add announcement: one form with every column of the import format."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, forms, state
from tracker import service
from tracker.errors import CapexError, ValidationFailed
from tracker.schema import COLUMNS
from tracker.vocab import Kind, Scope

ERRORS = "add_errors"
FLASH = "add_flash"
# Laid out in this order, three to a row; notes and the source take a full row.
WIDE = ("source_url", "notes", "venture_partners")
# Starting values, by name (choices are looked up by value, never by position).
DEFAULTS = {"kind": Kind.GUIDANCE.value, "scope": Scope.TOTAL_CAPEX.value, "currency": "USD"}


def render(ctx: state.Context) -> None:
    state.header(
        ctx,
        "Add announcement",
        "Fields marked * are required. Company details are only used for a new company; "
        "for a known one they must match what is stored.",
    )
    if not ctx.access.can_write:
        auth.read_only_notice(ctx.access)
        return
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")
    errors: dict[str, list[str]] = st.session_state.get(ERRORS, {})
    known = ", ".join(sorted(ctx.companies["name"].astype(str)))
    values: dict[str, str] = {}
    with st.form("add_form"):
        fields = [c for c in COLUMNS if c.level != "id"]
        narrow = [c for c in fields if c.name not in WIDE]
        for start in range(0, len(narrow), 3):
            columns = st.columns(3)
            for column, slot in zip(narrow[start : start + 3], columns, strict=False):
                with slot:
                    values[column.name] = forms.field(
                        column.name, DEFAULTS.get(column.name, ""), f"add_{column.name}", errors
                    )
        for name in WIDE:
            values[name] = forms.field(name, DEFAULTS.get(name, ""), f"add_{name}", errors)
        if known:
            st.caption(state.md_escape(f"Known companies: {known}"))
        submitted = st.form_submit_button("Add announcement", type="primary")
    if not submitted:
        for message in errors.get("", []) + errors.get("line", []):
            state.show_error(message)
        return
    try:
        new_id = service.add_announcement(ctx.engine, values, ctx.user)
    except ValidationFailed as error:
        st.session_state[ERRORS] = error.result.messages_by_field()
        st.rerun()
    except CapexError as error:
        st.session_state[ERRORS] = {}
        state.show_error(error)
    else:
        st.session_state[ERRORS] = {}
        st.session_state[FLASH] = f"Added announcement #{new_id}."
        state.context().reload()
        st.rerun()


state.run("add", render)
