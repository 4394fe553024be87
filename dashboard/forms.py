"""Form fields for announcements, derived from :data:`tracker.schema.COLUMNS`.

The add and edit forms draw one widget per column with the column's label and help,
choices by name (never by position), and the errors found for it right under it.
Every widget returns the text the service expects, as a CSV cell would hold it.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard.state import md_escape
from tracker.schema import BY_NAME, help_text
from tracker.validation import EARLIEST_ANNOUNCEMENT


def field(name: str, current: str, key: str, errors: dict[str, list[str]] | None = None) -> str:
    """One widget for column ``name`` pre-filled with ``current``; returns its text."""
    column = BY_NAME[name]
    label = column.label + (" *" if column.required else "")
    helptext = help_text(name)
    value: str
    if column.choices is not None:
        options = column.choices.values()
        chosen = current or column.default or options[0]
        labels = column.choices.labels()
        value = st.selectbox(
            label,
            options,
            index=options.index(chosen) if chosen in options else 0,
            format_func=lambda v: f"{labels[v]} ({v})",
            help=helptext,
            key=key,
        )
    elif column.type == "date":
        # Explicit bounds (the rule's own: 1990 to today) and no silent default: a new
        # announcement starts blank, so a date typed outside the bounds, which the
        # picker ignores, leaves the field empty and the form says the date is
        # required, instead of saving today.
        try:
            initial: date | None = date.fromisoformat(current) if current else None
        except ValueError:
            initial = None
        earliest, latest = EARLIEST_ANNOUNCEMENT, date.today()
        if initial is not None:  # a stored value outside the bounds is still shown
            earliest, latest = min(earliest, initial), max(latest, initial)
        picked = st.date_input(
            label,
            value=initial,
            min_value=earliest,
            max_value=latest,
            help=f"{helptext} (between {earliest:%Y-%m-%d} and {latest:%Y-%m-%d})",
            key=key,
            format="YYYY-MM-DD",
        )
        value = picked.isoformat() if isinstance(picked, date) else ""
    elif column.type == "int":
        number = int(current) if current.isdigit() else int(column.default or 1)
        value = str(st.number_input(label, 1, 12, value=number, step=1, help=helptext, key=key))
    elif name == "notes":
        value = st.text_area(label, value=current, help=helptext, key=key, height=80)
    else:
        value = st.text_input(
            label, value=current, help=helptext, key=key, max_chars=column.max_length
        )
    for message in (errors or {}).get(name, []):
        st.error(md_escape(message), icon=":material/error:")
    return value.strip() if isinstance(value, str) else value
