"""``benchmarks/all.py`` still runs every benchmark and prints one table with a row for each
area the issue names (``--quick``: tiny sizes; no timing is asserted, only that nothing
failed). tmux is needed for idle CPU and the SSH rows: ``./scripts/test`` installs it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

AREAS = {
    "startup",
    "scan",
    "lookup",
    "stock lookup",
    "search",
    "sale commit",
    "flush",
    "ingest",
    "store lookup",
    "central reports",
    "hostile",
    "idle CPU",
    "SSH idle",
    "SSH per sale",
}


def test_all_benchmarks_print_one_table_with_every_area() -> None:
    assert shutil.which("tmux"), "./scripts/test installs tmux"
    # no --pg: the PostgreSQL row says "skipped" (it would DROP the central's tables)
    env = {k: v for k, v in os.environ.items() if k not in ("O2POS_TEST_PG", "O2POS_CONFIG")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "all.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split("|") for line in done.stdout.splitlines() if line.startswith("| ")]
    areas = {cells[1].strip() for cells in rows[1:]}  # the header is the first
    assert areas >= AREAS, done.stdout
    assert "failed" not in done.stdout, done.stdout + done.stderr
    assert "Python" in done.stdout and "SQLite" in done.stdout  # the machine it ran on
