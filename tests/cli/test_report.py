"""``o2pos report x|z|daily`` prints the report slip: the printer's words, from a real process.

The till behind it is made through the core (tests/conftest.py's store), then read by the
command as a user runs it, on the same database file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from o2pos.core import payments, register, sales
from o2pos.core.payments import Tender
from o2pos.printing import documents, layouts
from tests.conftest import Store, build_store


def _till(tmp_path: Path) -> tuple[Store, Path]:
    store = build_store(tmp_path / "data")
    config = tmp_path / "o2pos.toml"
    config.write_text(
        '[store]\nname = "Test Mart"\n\n'
        f'[terminal]\nid = "T1"\ndata_dir = "{tmp_path / "data"}"\n\n'
        "[printer]\nwidth = 40\n",
        encoding="utf-8",
    )
    return store, config


def _report(config: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "o2pos", "report", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _slip(store: Store, doc: documents.Document, width: int = 40) -> str:
    return layouts.slip_for(doc, store.ctx.settings.store, layouts.Options(width=width)).text()


def _without_date(text: str) -> list[str]:
    """The slip less its "Date" line: the time it was printed, which differs per process."""
    return [line for line in text.splitlines() if not line.startswith("Date ")]


def test_nothing_out_of_the_drawer_reads_0_00_not_minus_0_00(tmp_path: Path) -> None:
    store, config = _till(tmp_path)
    store.open_register(200000)
    store.cash_sale("8900000000012")  # no refunds, no cash out
    text = _report(config, "x")
    assert "-0.00" not in text
    assert "X REPORT" in text and "Sales (1)" in text
    lines = text.splitlines()
    assert any(ln.split() == ["Cash", "refunds", "0.00"] for ln in lines), text
    assert any(ln.split() == ["Cash", "out", "0.00"] for ln in lines), text
    assert any(ln.split() == ["Returns", "(0)", "0.00"] for ln in lines), text
    # the printer's width, and the slip's own words
    assert max(len(line) for line in lines) == 40
    assert _without_date(text) == _without_date(_slip(store, documents.x_report(store.ctx)))


def test_the_z_report_text_is_the_z_slip_word_for_word(tmp_path: Path) -> None:
    store, config = _till(tmp_path)
    store.open_register(200000)
    store.cash_sale("8900000000012", tendered=10000)
    register.move_cash(store.ctx, store.cashier, "out", 5000, "Tea")
    store.clock.advance(hours=1)
    session = register.close_session(store.ctx, store.manager, 198000)
    text = _report(config, "z").rstrip("\n")
    assert text == _slip(store, documents.find(store.ctx, session.z_number))
    assert text == _report(config, "z", "--number", session.z_number.lower()).rstrip("\n")
    assert "Z REPORT" in text and "Short" in text and session.z_number in text


def test_the_daily_report_text_is_the_daily_slip(tmp_path: Path) -> None:
    store, config = _till(tmp_path)
    store.open_register(200000)
    store.cash_sale("8900000000012")
    sale_id = store.bill("8901234567890")
    unpaid = sales.save_unpaid(store.ctx, sale_id, store.cashier)
    payments.collect(store.ctx, store.cashier, [unpaid.number], [Tender("cash", unpaid.total)])
    day = store.ctx.today().isoformat()
    text = _report(config, "daily", "--date", day)
    assert "DAILY REPORT" in text and "Sales (2)" in text and "-0.00" not in text
    expected = _slip(store, documents.daily_report(store.ctx, store.ctx.today()))
    assert _without_date(text) == _without_date(expected)
