"""benchmarks/sync.py still runs against the current code (tiny sizes; no timing is asserted)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sync_benchmark_runs_and_prints_its_table() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "sync.py"),
            *("--events", "60", "--batch", "20", "--terminals", "2", "--per-terminal", "30"),
            "--skip-pg",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for measure in ("flush: SyncEngine", "floor: httpx", "ingest: 2 terminals", "Machine:"):
        assert measure in done.stdout, done.stdout
