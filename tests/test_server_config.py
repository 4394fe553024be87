"""The Streamlit server settings the README and the benchmark rely on
(.streamlit/config.toml, read by ``streamlit run`` from the project root)."""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


def test_server_listens_on_loopback_and_does_no_per_run_housekeeping():
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    # Without sign-in, writes are allowed only because nobody else can reach the app.
    assert config["server"]["address"] == "127.0.0.1"
    # No file watcher (it resolves every imported module's path after each run) and no
    # forced garbage collection after each run.
    assert config["server"]["fileWatcherType"] == "none"
    assert config["runner"]["postScriptGC"] is False
    assert config["browser"]["gatherUsageStats"] is False
