"""scripts/load_ws.py: two websocket clients walk a kind-C filing against a real `streamlit run`, end to end
(uploads included), with no error, and both filings are in the database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "load_ws.py"


def test_two_sessions_file_without_errors() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("DATA_DIR", None)  # the script makes its own temporary DATA_DIR
    done = subprocess.run([sys.executable, str(SCRIPT), "--sessions", "2", "--time-limit", "90"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=150)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "filings completed: 2, errors: 0" in out, out
    assert "submitted kind-C cases in the database: 2" in out, out
    interactions = re.search(r"interactions: (\d+), p50", out)
    assert interactions is not None and int(interactions.group(1)) == 2 * 29, out
