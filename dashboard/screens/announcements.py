"""Announcements: the list, and editing or deleting one of them.

An edit sends only the fields that changed, with the version the form was opened at:
when someone else saved the announcement in between, the edit is refused with what
they changed, and nothing is overwritten.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard import auth, forms, state
from tracker import grid, queries, service, views
from tracker.csv_io import announcements_to_csv, cell_text
from tracker.errors import CapexError, ValidationFailed
from tracker.query import filter_rows
from tracker.schema import BY_NAME, EDITABLE

FLASH = "announcements_flash"
GRID_RESULT = "announcements_grid_result"
SEEN = "announcements_seen_version"  # {id: version the edit form was opened at}


# The list and the form's choice show at most this many announcements (the newest that
# match the company and country filters): labelling and sending 100k rows takes seconds.
MAX_LISTED = 1_000
TABS = ("List", "Edit in a grid", "Edit one")


def _flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def _grid(ctx: state.Context) -> None:
    """The editable fields of the listed rows (company and country filters, newest
    first, at most grid.MAX_ROWS) in a grid; changed rows are saved one by one with the
    version the grid was opened at, and each row's error is shown with it."""
    shown = filter_rows(ctx.announcements, replace(ctx.query, years=None))
    table = grid.grid_frame(shown)
    note = (
        "Double-click a cell to change it, then save the changed rows (before opening "
        "another tab: unsaved changes are not kept)."
    )
    if len(shown) > grid.MAX_ROWS:
        note += f" The newest {grid.MAX_ROWS} of {len(shown)} rows; filter by company for others."
    st.caption(note)
    done = st.session_state.pop(GRID_RESULT, None)
    if done:
        saved, errors = done
        if saved:
            st.success(
                "Saved " + ", ".join(f"#{i}" for i in saved) + ".", icon=":material/check_circle:"
            )
        for ident, message in errors.items():
            state.show_error(f"#{ident} not saved: {message}")
    config: dict = {
        "id": st.column_config.NumberColumn("Id", format="#%d"),
        "version": st.column_config.NumberColumn("Version"),
        "notes": st.column_config.TextColumn("notes", width="large"),
        "source_url": st.column_config.TextColumn("source_url", width="medium"),
    }
    for name in EDITABLE:
        choices = BY_NAME[name].choices
        if choices is not None:
            config[name] = st.column_config.SelectboxColumn(
                name, options=choices.values(), required=True
            )
    edited = st.data_editor(
        table,
        key=f"grid_{ctx.version}",
        disabled=list(grid.READ_ONLY),
        hide_index=True,
        num_rows="fixed",
        column_config=config,
    )
    edits = grid.grid_edits(table, edited)
    if st.button(
        f"Save {len(edits)} changed row(s)",
        disabled=not edits,
        key="grid_save",
        type="primary",
        icon=":material/save:",
    ):
        result = grid.save_edits(ctx.engine, edits, ctx.user)
        st.session_state[GRID_RESULT] = (result.saved, result.errors)
        if result.saved:
            state.context().reload()
        st.rerun()


def render(ctx: state.Context) -> None:
    state.header(ctx, "Announcements", "Every live announcement; edit them in the tabs.")
    _flash()
    frame = ctx.announcements
    if frame.empty:
        state.show_empty("No announcements yet; add one or import a CSV.")
        return
    matching, listed = ctx.listed(MAX_LISTED)
    if not ctx.access.can_write:
        _list(frame, matching, listed)
        auth.read_only_notice(ctx.access)
        return
    # One tab at a time: the list, the grid and the form each draw a large element, and
    # the page took 0.8 s to open at 100k with all three. The open tab is in the link
    # (``?announcements_tab=Edit+one``).
    tabs = st.tabs(list(TABS), key="announcements_tab", on_change="rerun", bind="query-params")
    if tabs[0].open:
        with tabs[0]:
            _list(frame, matching, listed)
    if tabs[1].open:
        with tabs[1]:
            _grid(ctx)
    if tabs[2].open:
        with tabs[2]:
            _edit_one(ctx, frame, listed)
            _deleted(ctx)


def _list(frame: pd.DataFrame, matching: int, listed: pd.DataFrame) -> None:
    """The newest of the ``matching`` announcements with their revision links, and a
    download of every announcement."""
    if len(listed) < matching:
        st.caption(
            f"The newest {len(listed):,} of {matching:,} announcements matching the "
            f"company and country filters ({len(frame):,} in all), newest first; filter by "
            "company to list and edit older ones, or download them all below."
        )
    elif matching < len(frame):
        st.caption(
            f"{matching:,} of {len(frame):,} announcements match the company and "
            "country filters, newest first."
        )
    shown = [c for c in views.LIST_COLUMNS if c in listed.columns] + ["version", "source_url"]
    st.dataframe(
        listed[shown],
        hide_index=True,
        column_config={
            "source_url": state.link_column(),
            "announced_on": st.column_config.DateColumn("Announced", format="YYYY-MM-DD"),
            "supersedes": st.column_config.NumberColumn(format="#%d"),
            "revises_id": st.column_config.NumberColumn("Revises", format="#%d"),
        },
        key="announcements_table",
        placeholder="–",
    )
    st.download_button(
        "Download all as CSV (re-importable)",
        # Built when clicked, not on every run of the page.
        data=lambda: announcements_to_csv(frame),
        file_name="announcements.csv",
        mime="text/csv",
        key="download_announcements",
        icon=":material/download:",
        on_click="ignore",  # a download does not rerun the page
    )


def _edit_one(ctx: state.Context, frame: pd.DataFrame, listed: pd.DataFrame) -> None:
    """One listed announcement in a form (saved with the version it was opened at), and
    its deletion."""
    if listed.empty:
        state.show_empty("No announcements match the company and country filters.")
        return
    labels = state.announcement_labels(listed)
    chosen = st.selectbox(
        "Announcement", list(labels), format_func=lambda i: labels[i], key="edit_id"
    )
    row = frame[frame["id"] == chosen].iloc[0]
    seen = st.session_state.setdefault(SEEN, {})
    version = seen.setdefault(chosen, int(row["version"]))
    if version != int(row["version"]):
        st.info(
            f"Announcement #{chosen} was changed since you opened it (now version "
            f"{int(row['version'])}).",
            icon=":material/info:",
        )
        if st.button("Reload the current values", key="edit_reload"):
            seen[chosen] = int(row["version"])
            st.rerun()
    current = {name: cell_text(row[name], name) for name in EDITABLE}
    errors = st.session_state.get("edit_errors", {})
    with st.form(f"edit_{chosen}_{version}"):
        st.caption(state.md_escape(f"{row['company']} · version {version}"))
        values: dict[str, str] = {}
        columns = st.columns(3)
        for i, name in enumerate(EDITABLE):
            with columns[i % 3] if name != "notes" else st.container():
                values[name] = forms.field(
                    name, current[name], f"edit_{chosen}_{version}_{name}", errors
                )
        submitted = st.form_submit_button("Save changes", type="primary")
    if submitted:
        changes = {k: v for k, v in values.items() if v != current[k]}
        st.session_state["edit_errors"] = {}
        if not changes:
            st.info("Nothing changed.", icon=":material/info:")
        else:
            try:
                service.update_announcement(
                    ctx.engine, chosen, changes, ctx.user, expected_version=version
                )
            except ValidationFailed as error:
                st.session_state["edit_errors"] = error.result.messages_by_field()
                state.show_error(error)
            except CapexError as error:
                state.show_error(error)
            else:
                seen.pop(chosen, None)
                st.session_state[FLASH] = (
                    f"Saved announcement #{chosen}: " + ", ".join(sorted(changes)) + "."
                )
                state.context().reload()
                st.rerun()

    with st.expander(f"Delete announcement #{chosen}"):
        with st.form(f"delete_{chosen}"):
            reason = st.text_input(
                "Reason (kept in the edit history)", key=f"delete_reason_{chosen}"
            )
            confirm = st.checkbox("Yes, delete it", key=f"delete_confirm_{chosen}")
            delete = st.form_submit_button("Delete")
        if delete:
            if not confirm:
                st.warning("Tick the box to confirm.", icon=":material/warning:")
            elif not reason.strip():
                st.warning("Say why, for the edit history.", icon=":material/warning:")
            else:
                try:
                    service.delete_announcement(
                        ctx.engine, chosen, ctx.user, reason.strip(), expected_version=version
                    )
                except CapexError as error:
                    state.show_error(error)
                else:
                    seen.pop(chosen, None)
                    st.session_state[FLASH] = f"Deleted announcement #{chosen}."
                    state.context().reload()
                    st.rerun()


def _deleted(ctx: state.Context) -> None:
    """Deleted announcements, each restorable."""
    deleted = queries.announcements_frame(ctx.engine, only_deleted=True)
    if not deleted.empty:
        with st.expander(f"Deleted announcements ({len(deleted)})"):
            st.dataframe(
                deleted[
                    [
                        "id",
                        "company",
                        "kind",
                        "period",
                        "amount_low",
                        "amount_high",
                        "currency",
                        "deleted_at",
                        "deleted_by",
                    ]
                ],
                hide_index=True,
                key="deleted_table",
                placeholder="–",
            )
            restore_labels = state.announcement_labels(deleted)
            target = st.selectbox(
                "Restore",
                list(restore_labels),
                format_func=lambda i: restore_labels[i],
                key="restore_id",
            )
            if st.button("Restore", key="restore_button"):
                try:
                    service.restore_announcement(ctx.engine, int(target), ctx.user)
                except CapexError as error:
                    state.show_error(error)
                else:
                    st.session_state[FLASH] = f"Restored announcement #{target}."
                    state.context().reload()
                    st.rerun()


state.run("announcements", render)
