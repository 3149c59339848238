"""docs/errors.md is what the code says: the script that writes it, run with --check, finds it current."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_error_table_is_current():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "error_table.py"), "--check"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, ("docs/errors.md is stale: run python scripts/error_table.py\n"
                                 + run.stdout + run.stderr)
