"""The command line as a new user runs it: real processes on a real database file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def o2pos(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "o2pos", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    if check and done.returncode != 0:
        raise AssertionError(f"o2pos {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cwd = tmp_path_factory.mktemp("till")
    out = o2pos(cwd, "init", "--demo").stdout
    assert "cashier   PIN 1111" in out and "manager   PIN 222222" in out
    assert "Loaded 240 products" in out
    return cwd


def test_init_is_safe_to_run_again(demo: Path) -> None:
    again = o2pos(demo, "init", "--demo").stdout
    assert "already" in again
    con = sqlite3.connect(demo / "data" / "o2pos.db")
    assert con.execute("SELECT COUNT(*) FROM product").fetchone()[0] == 240
    # the 50 of customers.csv, four in the customer groups of price_lists.csv and the 2
    # business customers on credit (business_customers.csv)
    assert con.execute("SELECT COUNT(*) FROM customer").fetchone()[0] == 56


def test_simulated_sales_match_the_journal_and_the_x_report(demo: Path) -> None:
    out = o2pos(demo, "simulate", "--sales", "200", "--seed", "7").stdout
    assert out.startswith("200 sales")
    assert "journal ok" in o2pos(demo, "journal", "verify").stdout
    report = json.loads(o2pos(demo, "report", "x", "--json").stdout)
    con = sqlite3.connect(demo / "data" / "o2pos.db")
    payloads = [
        json.loads(p)
        for (p,) in con.execute("SELECT payload FROM journal WHERE event_type = 'sale.completed'")
    ]
    assert report["sales_count"] == len(payloads) == 200
    assert report["sales_total"] == sum(p["total"] for p in payloads)
    assert isinstance(report["sales_total"], int)
    by_method = sum(p["amount"] for p in report["payments"])
    assert by_method == report["sales_total"]
    assert report["cash"]["expected_cash"] == 200000 + report["cash"]["cash_sales"]
    text = o2pos(demo, "report", "x").stdout
    assert "X REPORT" in text and "Sales (200)" in text
    daily = json.loads(o2pos(demo, "report", "daily", "--json").stdout)
    assert daily["sales_count"] == 200


def test_the_sqlite3_shell_cannot_rewrite_history(demo: Path) -> None:
    con = sqlite3.connect(demo / "data" / "o2pos.db")
    try:
        for statement in ("UPDATE journal SET payload = '{}'", "DELETE FROM journal WHERE seq = 1"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(statement)
    finally:
        con.rollback()
        con.close()


def test_verify_fails_at_the_tampered_seq(tmp_path: Path) -> None:
    o2pos(tmp_path, "init", "--demo")
    o2pos(tmp_path, "simulate", "--sales", "3", "--seed", "1")
    con = sqlite3.connect(tmp_path / "data" / "o2pos.db")
    (seq,) = con.execute(
        "SELECT MIN(seq) FROM journal WHERE event_type = 'sale.completed'"
    ).fetchone()
    con.execute("DROP TRIGGER journal_no_update")
    con.execute(
        "UPDATE journal SET payload = replace(payload, '\"total\":', '\"total\":1') WHERE seq = ?",
        (seq,),
    )
    con.commit()
    done = o2pos(tmp_path, "journal", "verify", check=False)
    assert done.returncode == 1
    assert f"BROKEN at seq {seq}" in done.stdout


def test_import_reports_bad_lines_and_exits_nonzero(demo: Path, tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text("sku,name,price,tax_class\nZ1,Zinc Tablets,45,GST12\nZ2,Broken,4x5,GST12\n")
    done = o2pos(demo, "import", "products", str(csv), check=False)
    assert done.returncode == 1
    assert "p.csv:3:" in done.stderr and "not an amount" in done.stderr
    assert "1 created" in done.stdout


def test_clear_errors_for_a_missing_database_and_bad_config(tmp_path: Path) -> None:
    done = o2pos(tmp_path, "report", "x", check=False)
    assert done.returncode == 1 and "o2pos init" in done.stderr
    (tmp_path / "o2pos.toml").write_text("[store]\nnmae = 'typo'\n")
    done = o2pos(tmp_path, "report", "x", check=False)
    assert done.returncode == 2 and "nmae" in done.stderr
    assert "Traceback" not in done.stderr


def test_init_without_demo_creates_an_administrator(tmp_path: Path) -> None:
    done = o2pos(tmp_path, "init", "--admin-pin", "987654")
    assert "administrator 'admin'" in done.stdout
    refused = o2pos(
        tmp_path / "..", "report", "x", "--config", str(tmp_path / "none.toml"), check=False
    )
    assert refused.returncode == 2


def test_a_database_from_a_newer_o2pos_is_refused(tmp_path: Path) -> None:
    o2pos(tmp_path, "init", "--admin-pin", "987654")
    con = sqlite3.connect(tmp_path / "data" / "o2pos.db")
    con.execute("PRAGMA user_version = 99")
    con.close()
    done = o2pos(tmp_path, "report", "daily", check=False)
    assert done.returncode == 2 and "Upgrade o2pos" in done.stderr
