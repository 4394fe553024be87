"""Import CSV: check a file against the stored data, then save it.

The preview runs the same check as the import inside a transaction that is rolled back,
so it writes nothing; after saving, the page shows what was saved (added, updated,
unchanged) rather than the preview, which no longer describes the data.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import Session

from dashboard import auth, state
from tracker import importing, service
from tracker.csv_io import CsvFormatError, read_announcements_csv
from tracker.errors import CapexError, database_errors
from tracker.schema import NAMES

REPORT = "import_report"


def _preview(ctx: state.Context, raw: pd.DataFrame):
    """The check the import will run, in a session that is rolled back."""
    lines = raw.attrs.get("lines")
    first_line = lines if lines is not None and len(lines) == len(raw) else 2
    with database_errors("check the file"), Session(ctx.engine) as session:
        try:
            return service.check(session, raw, first_line=first_line)
        finally:
            session.rollback()


def render(ctx: state.Context) -> None:
    state.header(
        ctx,
        "Import CSV",
        "Columns: " + ", ".join(f"`{n}`" for n in NAMES) + ". A file exported from the "
        "Announcements page (with ids) updates changed rows and skips unchanged ones.",
    )
    if not ctx.access.can_write:
        auth.read_only_notice(ctx.access)
        return
    upload = st.file_uploader("CSV file", type=["csv"], key="import_file")
    if upload is None:
        st.session_state.pop(REPORT, None)
        return
    token = (upload.file_id, upload.name, upload.size)
    done = st.session_state.get(REPORT)
    if done and done[0] == token:
        st.success(done[1], icon=":material/check_circle:")
        st.caption("Upload another file to import more.")
        return
    try:
        raw = read_announcements_csv(upload.getvalue())
    except CsvFormatError as error:
        state.show_error(f"Cannot read {upload.name}: {error}")
        return
    try:
        with st.spinner(f"Checking {len(raw):,} row(s) against the stored data…"):
            result, unchanged = _preview(ctx, raw)
    except CapexError as error:
        state.show_error(error)
        return
    updates = int(result.valid["id"].notna().sum()) if not result.valid.empty else 0
    new = len(result.valid) - updates
    a, b, c, d = st.columns(4)
    a.metric("New", new)
    b.metric("Updates", updates)
    c.metric("Unchanged", len(unchanged))
    d.metric("Rows with errors", result.errors["line"].nunique() if not result.ok else 0)
    if not result.ok:
        st.markdown("**Problems found** (line numbers as in the file)")
        st.dataframe(result.errors, hide_index=True, placeholder="–", key="import_errors")
    if not result.valid.empty:
        st.markdown("**Rows to save**")
        preview_columns = [c for c in NAMES if c in result.valid.columns]
        st.dataframe(
            result.valid[preview_columns], hide_index=True, placeholder="–", key="import_preview"
        )
    skip = False
    if not result.ok:
        skip = st.checkbox("Skip the rows with errors and save the rest", key="import_skip")
    can_save = not result.valid.empty and (result.ok or skip)
    if not can_save:
        if result.valid.empty and result.ok:
            st.info("Nothing to save: every row is already stored.", icon=":material/info:")
        return
    if st.button(f"Save {len(result.valid)} row(s)", type="primary", key="import_save"):
        lines = raw.attrs.get("lines")
        first_line = lines if lines is not None and len(lines) == len(raw) else 2
        with st.status(state.md_escape(f"Importing {upload.name}"), expanded=True) as status:
            bar = st.progress(0.0, text="reading")

            def show(step: importing.Step) -> None:
                bar.progress(step.fraction, text=step.describe())

            try:
                report = importing.import_with_progress(
                    ctx.engine,
                    raw,
                    ctx.user,
                    skip_invalid=skip,
                    progress=show,
                    first_line=first_line,
                )
            except CapexError as error:
                status.update(label="Nothing was saved", state="error")
                state.show_error(error)
                return
            status.update(label=state.md_escape(f"Saved {upload.name}"), state="complete")
        st.session_state[REPORT] = (
            token,
            state.md_escape(f"Imported {upload.name}: {report.describe()}."),
        )
        state.context().reload()
        st.rerun()


state.run("import_csv", render)
