"""The ``capex`` command line against a real database seeded with the fixture file.

FX (tests/helpers.py RATES): CNY 7.6 per USD in 2025, GBP 0.8 in 2024.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import FIXTURE, rows
from tracker import __version__, queries, service
from tracker.bootstrap import get_engine
from tracker.cli import main
from tracker.schema import NAMES

CAPEX = str(Path(sys.executable).with_name("capex"))
ADD = [
    "add",
    "--company",
    "Baidu",
    "--country",
    "CN",
    "--kind",
    "actual",
    "--scope",
    "total_capex",
    "--period",
    "2024",
    "--amount-low",
    "8.1",
    "--currency",
    "CNY",
    "--announced-on",
    "2025-02-18",
    "--source-url",
    "https://ir.baidu.com/x",
]


def count() -> int:
    return len(queries.announcements_frame(get_engine()))


def run_capex(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CAPEX, *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        **kw,
    )


def test_summary_json_has_hand_computed_figures(configured_env, capsys):
    assert main(["summary", "--format", "json", "--as-of", "2026-11-26"]) == 0
    records = json.loads(capsys.readouterr().out)
    keys = {"company", "year", "low", "mid", "high", "months", "basis", "scope", "in_totals"}
    assert keys <= set(records[0])
    got = {(r["company"], r["year"]): r for r in records}
    # Alibaba: CNY 380bn over 2025-02/2028-01 (36 months) at 7.6 = USD 50bn, 50/36 a
    # month: 2025 = 11 months = 15.28, 2026 = 12 months = 16.67, not in 2025's totals.
    assert got[("Alibaba", 2025)]["mid"] == pytest.approx(50 / 36 * 11, abs=0.01)
    assert got[("Alibaba", 2025)]["months"] == 11
    assert got[("Alibaba", 2025)]["in_totals"] is False
    assert got[("Alibaba", 2026)]["mid"] == pytest.approx(16.67, abs=0.01)
    assert (got[("Alibaba", 2026)]["basis"], got[("Alibaba", 2026)]["scope"]) == (
        "pledge",
        "ai_infrastructure",
    )
    # Meta 2026 guidance 115-135: mid 125.
    meta = got[("Meta", 2026)]
    assert (meta["low"], meta["mid"], meta["high"]) == (115, 125, 135)
    assert (meta["basis"], meta["scope"], meta["in_totals"]) == ("guidance", "total_capex", True)
    # Tencent 2024 actual CNY 76.8bn at the 2024 average 7.68 = 10.
    assert got[("Tencent", 2024)]["mid"] == pytest.approx(10.0)
    # Amazon's GBP data-center pledge is not its headline measure: no Amazon 2027 row.
    assert ("Amazon", 2027) not in got
    assert "Apple" not in {r["company"] for r in records}


def test_summary_as_of_replays_meta_guidance(configured_env, capsys):
    # Known on 2025-03-01: only the first Meta range, USD 60-65bn: mid 62.5.
    assert (
        main(
            [
                "summary",
                "--as-of",
                "2025-03-01",
                "--company",
                "Meta",
                "--year",
                "2025",
                "--format",
                "csv",
            ]
        )
        == 0
    )
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert table[["low", "mid", "high"]].values.tolist() == [[60, 62.5, 65]]


def test_summary_table_and_by_basis(configured_env, capsys):
    assert main(["summary", "--as-of", "2025-03-01"]) == 0
    out = capsys.readouterr().out
    assert "Annual USD bn (mid) as of 2025-03-01" in out
    meta = next(line for line in out.splitlines() if line.strip().startswith("Meta"))
    assert "62.5" in meta
    assert (
        main(["summary", "--by-basis", "--format", "json", "--company", "Amazon", "--year", "2027"])
        == 0
    )
    basis = json.loads(capsys.readouterr().out)
    # GBP 8bn over 2024-2028 at 0.8 (Sep 2024) = USD 10bn / 5 years = 2 a year.
    assert [(r["scope"], r["kind"], r["mid"]) for r in basis] == [("data_centers", "pledge", 2.0)]


def test_include_ventures_adds_stargate(configured_env, capsys):
    assert main(["summary", "--format", "json", "--company", "Stargate"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert (
        main(
            [
                "summary",
                "--format",
                "json",
                "--company",
                "Stargate",
                "--include-ventures",
                "--year",
                "2026",
            ]
        )
        == 0
    )
    # Up to USD 500bn over 2025-2028: 125 a year.
    assert [r["mid"] for r in json.loads(capsys.readouterr().out)] == [125.0]


def test_list_and_export_as_csv_and_json(configured_env, capsys, tmp_path):
    assert main(["list", "--format", "csv"]) == 0
    listed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(listed.columns) == list(NAMES) and len(listed) == 31
    assert main(["list", "--format", "json", "--company", "meta", "--kind", "actual"]) == 0
    records = json.loads(capsys.readouterr().out)
    # Meta's actuals: 2024 (#4, 39.23) and 2025 (#9, 72.22).
    assert [(r["id"], r["period"], r["amount_low"]) for r in records] == [
        (4, "2024", 39.23),
        (9, "2025", 72.22),
    ]
    assert main(["export", "-", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 31
    path = tmp_path / "out.csv"
    assert main(["export", str(path)]) == 0
    exported = pd.read_csv(path, dtype=str, keep_default_na=False)
    fixture = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    assert list(exported["id"]) == list(fixture["id"])
    assert list(exported["company"]) == list(fixture["company"])


def test_summary_reads_the_snapshot_until_the_data_change(configured_env, snapshot_dir, capsys):
    args = ["summary", "--format", "json", "--as-of", "2026-11-26", "--year", "2024"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    # The miss wrote the snapshot; the next summary reads it and says the same.
    assert len(list(snapshot_dir.glob("*.arrow"))) == 1
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == first
    # Baidu's 2024 actual (CNY 8.1bn at the 2024 average 7.68 = USD 1.0547bn) counts at
    # once: an add moves the data version, so the snapshot is not read.
    assert "Baidu" not in {r["company"] for r in first}
    assert main(ADD) == 0
    capsys.readouterr()
    assert main(args) == 0
    baidu = [r for r in json.loads(capsys.readouterr().out) if r["company"] == "Baidu"]
    assert [r["year"] for r in baidu] == [2024]
    assert baidu[0]["mid"] == pytest.approx(8.1 / 7.68, abs=0.005)  # printed to 2 decimals


def test_add_then_list(configured_env, capsys):
    assert main(ADD) == 0
    assert capsys.readouterr().out.strip() == "added announcement #32"
    assert count() == 32
    assert main(["list", "--company", "baidu"]) == 0
    assert "Baidu" in capsys.readouterr().out


def test_bad_add_exits_1_and_saves_nothing(configured_env, capsys):
    bad = [a if a != "8.1" else "-8.1" for a in ADD]
    assert main(bad) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "amount must be greater than zero" in err
    assert count() == 31


def test_duplicate_add_names_the_stored_row(configured_env, capsys):
    assert main(ADD) == 0
    assert main(ADD) == 1
    assert "already stored as announcement #32" in capsys.readouterr().err


def test_import_is_all_or_nothing(configured_env, tmp_path, capsys):
    good = {
        "company": "Baidu",
        "country": "CN",
        "currency": "CNY",
        "period": "2024",
        "amount_low": "8.1",
        "amount_high": "",
        "kind": "actual",
    }
    bad = {**good, "period": "2023", "amount_low": "lots"}
    path = tmp_path / "in.csv"
    rows(good, bad).to_csv(path, index=False)
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "nothing was saved" in err and "line 3: amount_low" in err
    assert count() == 31
    assert main(["import", str(path), "--skip-invalid"]) == 0
    assert "1 added" in capsys.readouterr().out
    assert count() == 32


def test_edit_with_stale_version_exits_1(configured_env, capsys):
    assert main(["--user", "ana", "edit", "5", "--notes", "A", "--expect-version", "1"]) == 0
    assert main(["edit", "5", "--amount-high", "66", "--expect-version", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: announcement #5 was changed since you opened it")
    assert "notes (by ana)" in err
    assert queries.announcements_frame(get_engine()).set_index("id").loc[5, "amount_high"] == 65


def test_edit_delete_restore_and_history(configured_env, capsys):
    assert main(["--user", "ana", "edit", "5", "--notes", "checked"]) == 0
    assert main(["--user", "ana", "delete", "5", "--reason", "typo"]) == 0
    assert 5 not in set(queries.announcements_frame(get_engine())["id"])
    assert main(["restore", "5"]) == 0
    capsys.readouterr()
    assert main(["history", "5", "--format", "json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [h["action"] for h in history] == ["restore", "delete", "update"]
    assert history[2]["changes"] == "notes: Guidance range USD 60-65bn, Q4 2024 results. → checked"
    assert history[2]["changed_by"] == "ana"


def test_export_to_missing_directory_fails_cleanly(configured_env, tmp_path, capsys):
    assert main(["export", str(tmp_path / "no" / "such" / "dir.csv")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: No such file or directory: ") and "database" not in err
    assert not (tmp_path / "no").exists()


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"capex-tracker {__version__}"


def test_entry_point_runs_and_missing_file_is_one_line(configured_env):
    done = run_capex("summary", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "Alibaba" in done.stdout
    done = run_capex("import", "/no/such/file.csv")
    assert done.returncode == 1
    assert done.stderr == "error: No such file or directory: /no/such/file.csv\n"


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg://nobody@127.0.0.1:1/none", "nosuchdriver://x/y"]
)
def test_bad_database_url_is_one_error_line(url, tmp_path):
    done = run_capex("list", env={"DATABASE_URL": url, "CAPEX_DB_PATH": str(tmp_path / "x")})
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr


def test_broken_pipe_exits_quietly(configured_env):
    # Enough rows that the listing outgrows the pipe buffer (64 KiB) and the writer
    # meets the closed pipe while still writing.
    bulk = rows(
        *(
            {
                "company": f"Bulk {i % 10}",
                "period": str(2000 + i % 50),
                "amount_low": str(1 + i),
                "amount_high": "",
            }
            for i in range(2000)
        )
    )
    service.import_frame(get_engine(), bulk)
    proc = subprocess.Popen(
        [CAPEX, "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ
    )
    first = proc.stdout.readline()  # like `capex list | head -1`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert b"company" in first
    assert "Broken pipe" not in err and "BrokenPipeError" not in err and "Traceback" not in err


def test_a_closed_pipe_is_not_reported_as_a_database_error(configured_env, monkeypatch, capsys):
    """The pipe can close while a command still runs inside the database-error guard;
    that must exit quietly (0), not as 'could not run ...' (1)."""
    from tracker import cli
    from tracker.errors import database_errors

    with pytest.raises(BrokenPipeError), database_errors("list"):
        raise BrokenPipeError(32, "Broken pipe")

    def closed_pipe(_args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "cmd_list", closed_pipe)
    assert main(["list"]) == 0
    assert "error" not in capsys.readouterr().err
