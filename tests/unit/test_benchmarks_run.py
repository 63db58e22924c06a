"""The benchmarks still run against the current schema (tiny sizes; no timing is asserted)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_core_benchmark_runs_and_prints_its_table() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "core.py"),
            "--products",
            "1500",
            "--sales",
            "5",
            "--simulate",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for measure in ("barcode lookup", "FTS name search", "5-line cash sale", "floor", "simulate"):
        assert measure in done.stdout


def test_orders_benchmark_runs_and_prints_its_table() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "orders.py"),
            "--orders",
            "20",
            "--lookups",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for measure in ("another till's order", "gift voucher", "open bills", "customer name"):
        assert measure in done.stdout


def test_offers_benchmark_runs_and_prints_its_row() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "offers.py"),
            "--products",
            "500",
            "--carts",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert (
        "200 active offers and a 2,000-product customer price list, after each scan" in done.stdout
    )
    assert "CPU time: median" in done.stdout
