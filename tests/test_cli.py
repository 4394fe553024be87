"""The ``capex`` command line against a real database."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tracker import repository as repo
from tracker.cli import main
from tracker.db import get_engine
from tracker.validation import ALL_COLUMNS

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
    return len(repo.announcements_frame(get_engine()))


def test_summary_prints_hand_checked_figures(configured_env, capsys):
    assert main(["summary", "--as-of", "2025-03-01"]) == 0
    out = capsys.readouterr().out
    assert "Annual USD bn (mid) as of 2025-03-01" in out
    alibaba = next(line for line in out.splitlines() if line.strip().startswith("Alibaba"))
    assert "17.62" in alibaba
    meta = next(line for line in out.splitlines() if line.strip().startswith("Meta"))
    assert "62.50" in meta  # midpoint of 60-65 as known on 2025-03-01


def test_summary_by_basis_lists_kinds(configured_env, capsys):
    assert main(["summary", "--by-basis", "--measure", "high"]) == 0
    out = capsys.readouterr().out
    assert "pledge" in out and "guidance" in out and "actual" in out


def test_add_then_list(configured_env, capsys):
    before = count()
    assert main(ADD) == 0
    assert count() == before + 1
    assert main(["list", "--company", "baidu"]) == 0
    assert "Baidu" in capsys.readouterr().out
    assert main(["list", "--company", "Meta", "--kind", "guidance"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert "revises_id" in listed[0]
    # Meta's 2025 guidance: the first has no predecessor, the next three revise it.
    assert sum(line.rstrip().endswith("<NA>") for line in listed[1:]) == 2  # 2025 + 2026


def test_bad_add_exits_non_zero_and_saves_nothing(configured_env, capsys):
    before = count()
    bad = [a if a != "8.1" else "-8.1" for a in ADD]
    assert main(bad) == 1
    assert "amount must be greater than zero" in capsys.readouterr().err
    assert count() == before


def test_duplicate_add_points_to_stored_row(configured_env, capsys):
    assert main(ADD) == 0
    assert main(ADD) == 1
    assert "already stored as announcement #" in capsys.readouterr().err


def test_import_is_all_or_nothing(configured_env, tmp_path, capsys):
    before = count()
    good = dict(
        zip(
            ALL_COLUMNS,
            [
                "Baidu",
                "",
                "CN",
                "12",
                "actual",
                "total_capex",
                "2024",
                "8.1",
                "",
                "CNY",
                "2025-02-18",
                "https://ir.baidu.com/x",
                "",
            ],
            strict=True,
        )
    )
    bad = {**good, "period": "2023", "amount_low": "lots"}
    path = tmp_path / "in.csv"
    pd.DataFrame([good, bad]).to_csv(path, index=False)
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "nothing was saved" in err and "line 3: amount_low" in err
    assert count() == before
    assert main(["import", str(path), "--skip-invalid"]) == 0
    assert count() == before + 1


def test_import_of_unreadable_file_is_refused(configured_env, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"company;amount\nx;1\n")
    assert main(["import", str(path)]) == 1
    assert "missing column(s)" in capsys.readouterr().err


def test_export_writes_importable_csv_and_annual_table(configured_env, tmp_path):
    raw_path, annual_path = tmp_path / "raw.csv", tmp_path / "annual.csv"
    assert main(["export", str(raw_path)]) == 0
    assert main(["export", "--annual", "--as-of", "2025-12-31", str(annual_path)]) == 0
    raw = pd.read_csv(raw_path)
    assert list(raw.columns) == list(ALL_COLUMNS)
    assert len(raw) == count()
    annual = pd.read_csv(annual_path)
    alibaba = annual[(annual.company == "Alibaba") & (annual.year == 2026)]
    assert alibaba["mid"].iloc[0] == __import__("pytest").approx(17.617, abs=1e-3)


def test_export_to_missing_directory_fails_cleanly(configured_env, tmp_path, capsys):
    assert main(["export", str(tmp_path / "no" / "such" / "dir.csv")]) == 1
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_edit_delete_restore_and_history(configured_env, capsys):
    meta = repo.announcements_frame(get_engine())
    target = int(meta[meta.company == "Meta"].iloc[0]["id"])
    assert main(["--user", "ana", "edit", str(target), "--notes", "checked"]) == 0
    assert main(["--user", "ana", "delete", str(target), "--reason", "typo"]) == 0
    assert target not in set(repo.announcements_frame(get_engine())["id"])
    assert main(["restore", str(target)]) == 0
    assert target in set(repo.announcements_frame(get_engine())["id"])
    capsys.readouterr()
    assert main(["history", str(target)]) == 0
    out = capsys.readouterr().out
    assert "update" in out and "delete" in out and "restore" in out and "ana" in out


def test_entry_point_runs_as_a_program(configured_env):
    env = {**os.environ}
    exe = Path(sys.executable).with_name("capex")
    done = subprocess.run(
        [str(exe), "summary"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Alibaba" in done.stdout
    done = subprocess.run(
        [str(exe), "import", "/no/such/file.csv"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "No such file" in done.stderr


@pytest.mark.parametrize(
    ("as_of", "low", "mid", "high", "basis"),
    [
        # Meta 2025: 60-65 (Jan 29), 64-72 (Apr 30), 66-72 (Jul 30), 70-72 (Oct 29),
        # actual 72.22 (Jan 28, 2026). Never their sum (260-281).
        ("2025-02-01", 60, 62.5, 65, "guidance"),
        ("2025-05-15", 64, 68, 72, "guidance"),
        ("2025-09-01", 66, 69, 72, "guidance"),
        ("2025-12-31", 70, 71, 72, "guidance"),
        ("2026-11-25", 72.22, 72.22, 72.22, "actual"),
    ],
)
def test_cli_annual_totals_replay_meta_revisions(
    configured_env, capsys, as_of, low, mid, high, basis
):
    assert main(["export", "--annual", "--as-of", as_of, "-"]) == 0
    annual = pd.read_csv(io.StringIO(capsys.readouterr().out))
    meta = annual[(annual.company == "Meta") & (annual.year == 2025)].iloc[0]
    assert (meta["low"], meta["mid"], meta["high"]) == pytest.approx((low, mid, high))
    assert meta["basis"] == basis
    assert main(["summary", "--as-of", as_of]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.strip().startswith("Meta"))
    assert f"{mid:.2f}" in line
