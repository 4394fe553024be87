"""``capex sync sec``, ``capex reconcile`` and ``capex check-sources``: data upkeep
commands, kept beside the core CLI so it stays about announcements."""

from __future__ import annotations

import argparse
import os
import sys

from tracker import queries, sec, sync
from tracker.bootstrap import get_engine
from tracker.cli import EXTENSIONS, FORMATS, _render
from tracker.errors import CapexError
from tracker.provenance import check_sources, primary_share

USER_AGENT_ENV = "CAPEX_SEC_USER_AGENT"


def cmd_sync_sec(args: argparse.Namespace) -> int:
    engine = get_engine()
    try:
        if args.from_dir:
            facts = sec.load_companyfacts_dir(args.from_dir)
        elif args.from_zip:
            facts = sec.load_companyfacts_zip(args.from_zip, sync.tracked_ciks(engine))
        else:
            agent = args.user_agent or os.environ.get(USER_AGENT_ENV, "")
            facts = sync.fetch_all(
                sync.tracked_ciks(engine),
                sec.check_user_agent(agent),
                progress=lambda m: print(m, file=sys.stderr),
            )
    except sec.SecError as exc:
        raise CapexError(f"{str(exc).rstrip('.')}; the database was not changed") from exc
    report = sync.sync(engine, facts)
    print(report.describe())
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    table = sync.reconcile(queries.announcements_frame(get_engine()), args.tolerance / 100)
    sys.stdout.write(
        _render(table, args.format, "Reported annual capex vs the sum of synced quarters")
    )
    bad = table[~table["ok"]]
    if not bad.empty:
        print(
            "differ by more than the tolerance: " + ", ".join(bad["company"] + " " + bad["period"]),
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_check_sources(args: argparse.Namespace) -> int:
    frame = queries.announcements_frame(get_engine())
    table = check_sources(frame)
    sys.stdout.write(_render(table, args.format))
    print(
        f"{primary_share(frame):.0%} of {len(frame)} rows cite the company's own filing or release",
        file=sys.stderr,
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("sync", help="update actuals from filings (sync sec)")
    src = p.add_subparsers(dest="source", required=True, metavar="SOURCE")
    s = src.add_parser(
        "sec",
        help="quarterly capex, revenue and operating cash flow from SEC XBRL companyfacts",
        description="Online it needs a User-Agent with a contact e-mail (--user-agent or "
        f"{USER_AGENT_ENV}), sends at most 10 requests a second and retries on 429/503. "
        "Offline, read the same JSON files from a folder or SEC's companyfacts.zip.",
    )
    where = s.add_mutually_exclusive_group()
    where.add_argument("--from-dir", help="folder of CIK##########.json files")
    where.add_argument("--from-zip", help="SEC bulk companyfacts.zip")
    s.add_argument("--user-agent", help=f"e.g. 'Jane Analyst jane@example.com' ({USER_AGENT_ENV})")
    s.set_defaults(func=cmd_sync_sec)

    p = sub.add_parser("reconcile", help="annual actuals vs the sum of synced quarters")
    p.add_argument("--tolerance", type=float, default=1.0, help="percent (default 1)")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=cmd_reconcile)

    p = sub.add_parser("check-sources", help="flag rows with weak or missing sources")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=cmd_check_sources)


EXTENSIONS.append(register)
