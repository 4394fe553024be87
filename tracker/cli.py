"""The ``capex`` command line: the same data, rules and views as the dashboard.

Exit status: 0 on success, 1 when input or the database refused the request (nothing
was saved, one sentence says why), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from tracker import __version__, exports, importing, queries, service, snapshot
from tracker.bootstrap import get_engine
from tracker.config import public_url
from tracker.csv_io import CsvFormatError, announcements_to_csv, read_announcements_csv
from tracker.errors import CapexError, database_errors
from tracker.names import has_control_characters
from tracker.periods import PERIOD_HELP
from tracker.query import ViewQuery, run
from tracker.schema import BY_NAME, EDITABLE, NAMES, REQUIRED, help_text
from tracker.views import LIST_COLUMNS, comparison_table, with_revisions
from tracker.vocab import Kind, Measure, Scope

log = logging.getLogger("tracker")
FORMATS = ("table", "csv", "json")
SUMMARY_COLUMNS = (
    "company",
    "country",
    "year",
    "low",
    "mid",
    "high",
    "months",
    "covers",
    "basis",
    "scope",
    "qualifier",
    "in_totals",
    "announcement_ids",
)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (use YYYY-MM-DD)") from None


def _years(text: str) -> tuple[int, int]:
    try:
        parts = [int(p) for p in text.split("-")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a year or range like 2024-2026"
        ) from None
    if len(parts) == 1:
        return parts[0], parts[0]
    if len(parts) == 2:
        return min(parts), max(parts)
    raise argparse.ArgumentTypeError(f"'{text}' is not a year or range like 2024-2026")


def _write_atomically(path: str, text: str | bytes) -> None:
    """Write all of ``text`` or nothing: a half-written export is worse than none."""
    if path == "-":
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent or Path("."), prefix=f".{target.name}.")
    try:
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as fb:
                fb.write(text)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _file_errors(path: str) -> Iterator[None]:
    """A file that cannot be read or written is the user's file, not the database: say
    so before :func:`tracker.errors.database_errors` would blame the database."""
    try:
        yield
    except OSError as exc:
        raise CapexError(f"{exc.strerror or exc}: {path}") from exc


def _safe_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text a terminal can show: control characters (ESC, BEL) replaced by '?'."""
    out = frame.copy()
    for column in out.columns:
        # object (pandas 2) or the str dtype (pandas 3) both hold text
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column].astype(str)
            if has_control_characters(text).any():
                out[column] = text.str.replace(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "?", regex=True)
    return out


def _render(frame: pd.DataFrame, fmt: str, title: str = "") -> str:
    """A frame as a readable table (blanks for missing values), CSV or JSON records."""
    if fmt == "json":
        return frame.to_json(orient="records", date_format="iso", indent=1) + "\n"
    if fmt == "csv":
        return frame.to_csv(index=False, lineterminator="\n")
    if frame.empty:
        return (title + "\n" if title else "") + "(nothing to show)\n"
    shown = _safe_text(frame).astype(object).where(frame.notna(), "")
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
        body = shown.to_string(index=False)
    return (title + "\n" if title else "") + body + "\n"


def _query(args: argparse.Namespace) -> ViewQuery:
    return ViewQuery(
        as_of=args.as_of,
        companies=tuple(args.company or ()),
        countries=tuple(args.country or ()),
        scopes=tuple(args.scope or ()),
        years=args.year,
        measure=args.measure,
        include_ventures=args.include_ventures,
        include_press=args.include_press,
    )


def _live_announcements(engine: Engine) -> pd.DataFrame:
    """Every live announcement, from the snapshot the dashboard or an earlier command
    wrote when the data have not changed since (100k announcements: about 0.1 s
    instead of 1.2-1.4 s from SQLite); a miss loads and writes it for next time."""
    return snapshot.live_announcements(engine, queries.data_version(engine))


def cmd_list(args: argparse.Namespace) -> int:
    frame = with_revisions(
        queries.announcements_frame(get_engine(), include_deleted=args.include_deleted)
    )
    if args.company:
        wanted = {c.casefold() for c in args.company}
        frame = frame[frame["company"].str.casefold().isin(wanted)]
    if args.kind:
        frame = frame[frame["kind"] == args.kind]
    if args.format == "table":
        columns = [*LIST_COLUMNS, "version"] + (["deleted_at"] if args.include_deleted else [])
        frame = frame.assign(announced_on=frame["announced_on"].dt.strftime("%Y-%m-%d"))
    else:
        columns = list(NAMES)
        frame = frame.assign(announced_on=frame["announced_on"].dt.strftime("%Y-%m-%d"))
    sys.stdout.write(_render(frame[columns], args.format))
    return 0


def _fields(args: argparse.Namespace, names: Sequence[str]) -> dict[str, str]:
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def cmd_add(args: argparse.Namespace) -> int:
    new_id = service.add_announcement(get_engine(), _fields(args, NAMES), user=args.user)
    print(f"added announcement #{new_id}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with _file_errors(args.file):
        raw = read_announcements_csv(args.file)
    bar = importing.TerminalBar()  # drawn on a terminal only, quiet when piped
    try:
        report = importing.import_with_progress(
            get_engine(),
            raw,
            user=args.user,
            skip_invalid=args.skip_invalid,
            progress=bar,
            first_line=raw.attrs.get("lines", 2),
        )
    finally:
        bar.close()
    print(f"imported: {report.describe()}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    engine = get_engine()
    text: str | bytes
    if args.annual:
        query = _query(args)
        announcements = _live_announcements(engine)
        result = run(announcements, query)
        table = exports.annual_table(result.headline)
        info = exports.ExportInfo(
            query,
            queries.data_as_of(engine),
            exports.view_link(public_url(), "comparison", {}, query),
        )
        if args.file.lower().endswith(".xlsx"):
            text = exports.to_xlsx(
                {"Annual": table}, exports.sources(result.headline, announcements), info
            )
        elif args.format == "json":
            text = _render(table, "json")
        else:
            text = exports.to_csv(table, info, "annual figures")
    else:
        frame = _live_announcements(engine)
        if args.format == "json":
            text = _render(read_announcements_csv(announcements_to_csv(frame).encode()), "json")
        else:
            text = announcements_to_csv(frame)
    with _file_errors(args.file):
        _write_atomically(args.file, text)
    if args.file != "-":
        print(f"wrote {args.file}", file=sys.stderr)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    result = run(_live_announcements(get_engine()), _query(args))
    if args.by_basis:
        table = result.by_basis[
            ["company", "scope", "kind", "year", "low", "mid", "high", "months", "qualifier"]
        ]
    elif args.format == "table":
        table = comparison_table(result.headline, args.measure)
    else:
        table = result.headline[list(SUMMARY_COLUMNS)]
    title = (
        f"Annual USD bn ({args.measure}) as of {args.as_of.isoformat()}; "
        "partial years are marked by months < 12 and left out of totals"
    )
    sys.stdout.write(_render(table.round(2), args.format, title))
    if args.format == "table" and not args.by_basis:
        months = result.headline.pivot_table(
            index="company", columns="year", values="months", aggfunc="max"
        )
        sys.stdout.write(_render(months.reset_index(), "table", "Months covered"))
    for warning in result.view.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    changes = _fields(args, EDITABLE)
    if not changes:
        print("nothing to change: give at least one --field", file=sys.stderr)
        return 2
    changed = service.update_announcement(
        get_engine(), args.id, changes, user=args.user, expected_version=args.expect_version
    )
    print(f"updated announcement #{args.id}" if changed else f"#{args.id} already had those values")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    service.delete_announcement(get_engine(), args.id, user=args.user, reason=args.reason)
    print(f"deleted announcement #{args.id} (kept in history; 'capex restore {args.id}' undoes)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    service.restore_announcement(get_engine(), args.id, user=args.user)
    print(f"restored announcement #{args.id}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    history = queries.history_frame(get_engine(), args.id)
    table = history[[*queries.HISTORY_COLUMNS, "changes"]]
    sys.stdout.write(_render(table, args.format))
    return 0


def _add_view_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of",
        type=_date,
        default=date.today(),
        help="replay what was known on this date (YYYY-MM-DD; default today)",
    )
    p.add_argument("--company", action="append", help="only this company (repeatable)")
    p.add_argument("--country", action="append", help="only this ISO country code (repeatable)")
    p.add_argument(
        "--scope",
        action="append",
        choices=Scope.values(),
        help="only announcements of this scope (repeatable)",
    )
    p.add_argument("--year", type=_years, help="a calendar year or range, e.g. 2025 or 2024-2026")
    p.add_argument(
        "--measure",
        choices=Measure.values(),
        default=Measure.MID.value,
        help="which end of announced ranges (default mid)",
    )
    p.add_argument(
        "--include-ventures",
        action="store_true",
        help="count joint ventures (e.g. Stargate) in the headline and totals",
    )
    p.add_argument(
        "--include-press",
        action="store_true",
        help="count press reports the company has not confirmed",
    )
    p.add_argument("--format", choices=FORMATS, default="table", help="output format")


def _add_field_options(p: argparse.ArgumentParser, names: Sequence[str], required: bool) -> None:
    for name in names:
        column = BY_NAME[name]
        p.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            required=required and column.required,
            choices=column.choices.values() if column.choices else None,
            metavar=None if column.choices else column.type.upper(),
            help=help_text(name),
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capex",
        description="Announced AI-infrastructure capex, normalized to USD per calendar year. "
        "Amounts are in billions of the announced currency; periods: " + PERIOD_HELP + ".",
    )
    parser.add_argument("--version", action="version", version=f"capex-tracker {__version__}")
    parser.add_argument("--user", help="name recorded in the edit history (default: login)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list announcements")
    p.add_argument("--company", action="append", help="only this company (repeatable)")
    p.add_argument("--kind", choices=Kind.values())
    p.add_argument("--include-deleted", action="store_true")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("add", help="add one announcement (amounts in billions)")
    _add_field_options(p, [n for n in NAMES if BY_NAME[n].level != "id"], required=True)
    p.set_defaults(func=cmd_add)

    p = sub.add_parser(
        "import",
        help="import announcements from CSV (all or nothing)",
        description="Columns: " + ", ".join(NAMES) + ". Required: " + ", ".join(REQUIRED) + ".",
    )
    p.add_argument("file")
    p.add_argument(
        "--skip-invalid", action="store_true", help="save the valid rows and report the others"
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export announcements (import format) or --annual figures")
    p.add_argument("file", help="path, or - for standard output")
    p.add_argument(
        "--annual",
        action="store_true",
        help="export the normalized annual figures (USD bn, 2 decimals) with a header "
        "naming the view; a FILE ending in .xlsx gets an Excel workbook with Sources and "
        "About sheets",
    )
    _add_view_options(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("summary", help="annual USD bn per company and calendar year")
    _add_view_options(p)
    p.add_argument(
        "--by-basis", action="store_true", help="pledge, guidance and actual side by side"
    )
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("edit", help="change fields of an announcement (history is kept)")
    p.add_argument("id", type=int)
    p.add_argument(
        "--expect-version", type=int, help="refuse if the announcement is no longer at this version"
    )
    _add_field_options(p, EDITABLE, required=False)
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
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=cmd_history)

    _register_extensions(sub)
    return parser


EXTENSIONS: list[Callable[[argparse._SubParsersAction], None]] = []  # type: ignore[type-arg]


def _register_extensions(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Commands defined in their own modules (e.g. ``capex sync``)."""
    for register in EXTENSIONS:
        register(sub)


def main(argv: list[str] | None = None) -> int:
    # Commands defined in their own modules register themselves on import.
    import tracker.backup  # (backup, restore-backup)
    import tracker.cli_data  # noqa: F401  (sync, reconcile, check-sources)

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        force=True,
    )
    try:
        with database_errors(f"run 'capex {args.command}'"):
            return int(args.func(args))
    except (CapexError, CsvFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `capex list | head`: the reader left; say nothing more, and point stdout at
        # /dev/null so the interpreter's final flush does not complain either.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing was saved", file=sys.stderr)
        return 130


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())
