"""Storage and settings the till cannot use: it says what and where, and keeps selling.

A full disk during a sale: the till says so, keeps running, and keeps the cart.

The disk is made full with SQLite's ``PRAGMA max_page_count`` on the till's own connection
(after a VACUUM, so no free page is left): the sale then meets a real SQLITE_FULL, as on a
full partition, on any machine and without root. The database has 512-byte pages, so the
sale's journal payload needs new (overflow) pages whatever room its table's last page has.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from o2pos.config import CentralConfig, Config
from o2pos.core import syncstate
from o2pos.core.models import Journal, Sale
from o2pos.tui.app import StorageStop, TillApp
from o2pos.tui.screens.payment import PaymentScreen
from o2pos.tui.screens.sales import SalesScreen
from o2pos.tui.widgets.cart import CartTable
from o2pos.tui.widgets.status_bar import StatusBar
from tests.conftest import Store, build_store
from tests.tui.test_flows import make_app, scan, sign_in, status_text, wait_for


@pytest.fixture
def small_pages(tmp_path: Path) -> Iterator[Store]:
    """The test store in a database of 512-byte pages."""
    raw = sqlite3.connect(tmp_path / "o2pos.db")
    raw.execute("PRAGMA page_size = 512")
    raw.execute("VACUUM")
    raw.close()
    store = build_store(tmp_path)
    assert store.ctx.db.execute_sql("PRAGMA page_size").fetchone()[0] == 512
    yield store
    store.ctx.db.close()


def fill_the_disk(store: Store) -> int:
    """Leave the database no room to grow; returns its page count (the new ceiling)."""
    db = store.ctx.db
    db.execute_sql("VACUUM")
    pages = int(db.execute_sql("PRAGMA page_count").fetchone()[0])
    db.execute_sql(f"PRAGMA max_page_count = {pages}")
    return pages


async def test_a_sale_on_a_full_disk_keeps_the_till_and_the_cart(small_pages: Store) -> None:
    store = small_pages
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        for code in ("8901234567890", "SOAP"):
            await scan(pilot, code)
        assert app.screen.query_one(CartTable).row_count == 2
        events = Journal.select().count()
        pages = fill_the_disk(store)
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PaymentScreen)  # still on the payment, the till alive
        error = str(app.screen.query_one(".error", Static).render())
        db_path = str(store.ctx.settings.terminal.db_path)
        assert f"the disk is full ({db_path}): nothing was saved" in error
        assert "rollback" not in error and "Something went wrong" not in error
        assert Journal.select().count() == events
        assert not Sale.select().where(Sale.status == "completed").exists()
        # space comes back: the same bill, still whole, is paid with the same keys
        store.ctx.db.execute_sql(f"PRAGMA max_page_count = {pages * 2}")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen)
        assert app.screen.query_one(CartTable).row_count == 2
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen)
        assert app.screen.query_one(CartTable).row_count == 0
    assert Sale.get(Sale.number == "S-T1-000001").status == "completed"


async def test_a_missing_ca_bundle_is_an_alert_not_connecting_forever(
    store: Store, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-ca.pem"
    central = CentralConfig(url="https://127.0.0.1:9", token="o2t_x", ca_bundle=str(missing))
    app = TillApp(store.ctx, Config(settings=store.ctx.settings, central=central))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await wait_for(pilot, lambda: app.sync_summary is not None)
        app.screen.query_one(StatusBar).refresh_status()
        assert "SYNC CONFIG F12" in status_text(app)
        assert "connecting" not in status_text(app)
    summary = syncstate.summary(store.ctx)
    assert summary["alert"] and summary["state"] == "config"
    assert str(missing) in summary["last_error"]


async def test_a_file_damaged_under_the_running_till_stops_it_with_one_line(
    store: Store,
) -> None:
    app = make_app(store)
    db_path = store.ctx.settings.terminal.db_path
    with pytest.raises(StorageStop) as stopped:
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot)
            # the file is replaced behind the till's back (a bad restore, a disk gone wrong);
            # its next connection meets it, in the status bar's refresh, which no guard wraps
            store.ctx.db.close()
            db_path.write_bytes(bytes(range(256)) * 16)
            app.call_later(app.refresh_status_bars)
            await wait_for(pilot, lambda: app.storage_problem is not None)
    text = str(stopped.value.__rich__())
    assert text.startswith(f"error: {db_path} is damaged (file is not a database)")
    assert "restore the till database from a backup" in text
    assert app.storage_problem is not None and app.storage_problem.exit_code == 3
