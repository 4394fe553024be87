"""The built wheel works without a checkout: the packaged seed and FX table load.

Builds the wheel, installs it (without dependencies) into a fresh virtual environment
that sees this environment's packages through a ``.pth`` file, and runs ``capex`` from
an empty directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def run(*args: str | Path, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kw)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_installed_wheel_runs_summary_outside_the_checkout(tmp_path):
    # Build from a copy: pip builds in the source tree and would leave a build/ folder
    # whose stale files end up in later wheels.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "artifacts", "*.egg-info", "__pycache__", ".*_cache"
        ),
    )
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, source)
    (wheel,) = wheels.glob("capex_tracker-*.whl")

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        wheel,
    )
    # Dependencies come from this environment; the checkout's editable install does not
    # (a .pth-added folder's own .pth files are not run).
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    site = Path(purelib.stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "DATABASE_URL", "CAPEX_SEED_PATH", "CAPEX_FX_PATH")
    }
    env["CAPEX_DB_PATH"] = str(tmp_path / "db" / "capex.sqlite")
    env["HOME"] = str(tmp_path)

    where = run(python, "-c", "import tracker; print(tracker.__file__)", cwd=cwd, env=env)
    assert where.stdout.strip().startswith(str(site)), where.stdout

    done = run(venv / "bin" / "capex", "summary", "--format", "json", cwd=cwd, env=env)
    records = json.loads(done.stdout)
    assert records, "the packaged seed produced no figures"
    assert {"company", "year", "mid", "months", "basis", "scope", "in_totals"} <= set(records[0])
    assert "warning" not in done.stderr
    listed = run(venv / "bin" / "capex", "list", "--format", "json", cwd=cwd, env=env)
    assert len(json.loads(listed.stdout)) > 0
