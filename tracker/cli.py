"""The ``capex`` command line: the same data and rules as the dashboard.

Exit status: 0 on success, 1 when input was refused (nothing saved), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

from tracker import repository as repo
from tracker.csv_io import (
    CsvFormatError,
    announcements_to_csv,
    read_announcements_csv,
    table_to_csv,
)
from tracker.db import get_engine
from tracker.normalize import MEASURES, annual_view
from tracker.validation import ALL_COLUMNS, REQUIRED_COLUMNS
from tracker.views import LIST_COLUMNS, comparison_table, with_revisions


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (use YYYY-MM-DD)") from None


def _write_atomically(path: str, text: str) -> None:
    """Write all of ``text`` or nothing: a half-written export is worse than none."""
    if path == "-":
        sys.stdout.write(text)
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent or Path("."), prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _print_table(frame: pd.DataFrame) -> None:
    with pd.option_context(
        "display.width",
        200,
        "display.max_rows",
        None,
        "display.max_columns",
        None,
        "display.max_colwidth",
        60,
    ):
        print(frame.to_string(index=False) if not frame.empty else "(nothing to show)")


def cmd_list(args: argparse.Namespace) -> int:
    frame = with_revisions(
        repo.announcements_frame(get_engine(), include_deleted=args.include_deleted)
    )
    if args.company:
        frame = frame[frame["company"].str.casefold() == args.company.casefold()]
    if args.kind:
        frame = frame[frame["kind"] == args.kind]
    columns = list(LIST_COLUMNS)
    if args.include_deleted:
        columns.append("deleted_at")
    _print_table(frame[columns])
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    fields = {c: getattr(args, c) or "" for c in ALL_COLUMNS}
    new_id = repo.add_announcement(get_engine(), fields, user=args.user)
    print(f"added announcement #{new_id}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    raw = read_announcements_csv(args.file)
    report = repo.import_frame(get_engine(), raw, user=args.user, skip_invalid=args.skip_invalid)
    print(
        f"imported {report.inserted} announcement(s), {report.companies_created} new company(ies)"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    engine = get_engine()
    if args.annual:
        view = annual_view(repo.announcements_frame(engine), args.as_of)
        text = table_to_csv(view.headline)
    else:
        text = announcements_to_csv(repo.announcements_frame(engine))
    _write_atomically(args.file, text)
    if args.file != "-":
        print(f"wrote {args.file}")
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    view = annual_view(repo.announcements_frame(get_engine()), args.as_of)
    if args.by_basis:
        table = view.by_basis[["company", "scope", "kind", "year", "low", "mid", "high", "months"]]
    else:
        table = comparison_table(view.headline, args.measure)
    print(f"Annual USD bn ({args.measure}) as of {view.as_of.isoformat()}")
    _print_table(table.round(2))
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    changes = {f: getattr(args, f) for f in repo.EDITABLE_FIELDS if getattr(args, f) is not None}
    if not changes:
        print("nothing to change: give at least one --field", file=sys.stderr)
        return 2
    repo.update_announcement(get_engine(), args.id, changes, user=args.user)
    print(f"updated announcement #{args.id}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    repo.delete_announcement(get_engine(), args.id, user=args.user, reason=args.reason)
    print(f"deleted announcement #{args.id} (kept in history; 'capex restore {args.id}' undoes)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    repo.restore_announcement(get_engine(), args.id, user=args.user)
    print(f"restored announcement #{args.id}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    _print_table(repo.history_frame(get_engine(), args.id))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="capex", description=__doc__)
    parser.add_argument("--user", help="name recorded in the edit history")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list announcements")
    p.add_argument("--company")
    p.add_argument("--kind", choices=["pledge", "guidance", "actual"])
    p.add_argument("--include-deleted", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("add", help="add one announcement (amounts in billions)")
    for column in ALL_COLUMNS:
        required = column in REQUIRED_COLUMNS
        p.add_argument("--" + column.replace("_", "-"), dest=column, required=required)
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("import", help="import announcements from CSV (all or nothing)")
    p.add_argument("file")
    p.add_argument(
        "--skip-invalid", action="store_true", help="save the valid rows and report the others"
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export announcements (or --annual table) as CSV")
    p.add_argument("file", help="path, or - for standard output")
    p.add_argument("--annual", action="store_true", help="export the normalized annual table")
    p.add_argument("--as-of", type=_date, default=date.today())
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("summary", help="annual USD bn per company and calendar year")
    p.add_argument("--measure", choices=MEASURES, default="mid")
    p.add_argument(
        "--as-of", type=_date, default=date.today(), help="replay what was known on this date"
    )
    p.add_argument(
        "--by-basis", action="store_true", help="pledge, guidance and actual side by side"
    )
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("edit", help="change fields of an announcement (history is kept)")
    p.add_argument("id", type=int)
    for field in repo.EDITABLE_FIELDS:
        p.add_argument("--" + field.replace("_", "-"), dest=field)
    p.set_defaults(func=cmd_edit)

    p = sub.add_parser("delete", help="hide an announcement (kept, restorable)")
    p.add_argument("id", type=int)
    p.add_argument("--reason", default="")
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("restore", help="undo a delete")
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("history", help="edits and deletes, newest first")
    p.add_argument("id", type=int, nargs="?")
    p.set_defaults(func=cmd_history)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (repo.ValidationFailed, CsvFormatError, repo.NotFound, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
