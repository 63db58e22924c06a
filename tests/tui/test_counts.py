"""Stock at the till, driven by keys alone: the count screen (ctrl+n), the location chosen
at login, stock in F11 and beside the line just rung up."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import DataTable, OptionList, Static

from o2pos.core import auth, sales, stock
from o2pos.core.models import Journal, Product, StockCount
from o2pos.tui.screens.bill_dialogs import ProductSearchDialog
from o2pos.tui.screens.counts import CountQtyDialog, CountScreen, NewCountDialog
from o2pos.tui.screens.dialogs import ConfirmDialog, TextDialog
from o2pos.tui.screens.login import LocationDialog, LoginScreen
from o2pos.tui.screens.sales import SalesScreen
from tests.conftest import Store
from tests.tui.test_flows import (
    approve_as_manager,
    make_app,
    notice,
    scan,
    sign_in,
    status_text,
    type_text,
)


def on_hand(store: Store, sku: str) -> int:
    return stock.level(store.ctx, Product.get(Product.sku == sku).id).on_hand


def texts(screen: object, selector: str = "Static") -> str:
    return "\n".join(str(w.render()) for w in screen.query(selector).results(Static))  # type: ignore[attr-defined]


def headers(table: DataTable) -> list[str]:
    return [str(column.label) for column in table.columns.values()]


async def test_count_two_products_post_with_a_managers_pin_and_print(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "stock", "4444", float_=None)
        assert isinstance(app.screen, CountScreen)  # the inventory role sells nothing
        assert "No stock count is open at MAIN" in texts(app.screen, "#count-state")
        await pilot.press("f7")
        await pilot.pause()
        assert isinstance(app.screen, NewCountDialog)
        await pilot.press("enter")  # what is scanned
        await pilot.pause()
        assert isinstance(app.screen, CountScreen)
        await scan(pilot, "8900000000012")  # SOAP's barcode: the count is asked
        await pilot.pause()
        assert isinstance(app.screen, CountQtyDialog)
        assert "On record: 50 pcs" in texts(app.screen)
        await type_text(pilot, "48")
        await pilot.press("enter")
        await pilot.pause()
        assert "Neem Soap 100 g: 48 counted · system 50 · variance -2 (-80.00)" in notice(app)
        await scan(pilot, "0*COLA")  # none on the shelf, typed at once
        await pilot.pause()
        table = app.screen.query_one("#count-lines", DataTable)
        assert headers(table) == ["SKU", "Item", "System", "Counted", "Variance", "Value"]
        assert [str(table.get_row_at(i)[4]) for i in range(2)] == ["-50", "-2"]  # newest first
        assert "Variance value -2,080.00" in texts(app.screen, "#count-totals")

        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")
        await pilot.pause()
        await approve_as_manager(pilot)  # the default limit: every variance
        assert isinstance(app.screen, TextDialog)
        slip = texts(app.screen)
        assert "STOCK COUNT" in slip and "SC-T1-000001" in slip and "Approved by" in slip
        await pilot.press("escape")
        await pilot.pause()
        assert "Count SC-T1-000001 posted" in notice(app)
        assert "No stock count is open" in texts(app.screen, "#count-state")
    assert (on_hand(store, "SOAP"), on_hand(store, "COLA")) == (48_000, 0)
    event = Journal.get(Journal.event_type == "stock.counted")
    assert (event.employee_id, event.approved_by) == ("stock", "manager")


async def test_a_blind_count_shows_no_system_figure_anywhere(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "stock", "4444", float_=None)
        await pilot.press("f7")
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        assert "Blind: yes" in texts(app.screen)
        await pilot.press("down", "enter")  # full, blind
        await pilot.pause()
        assert "full · blind" in texts(app.screen, "#count-state")
        await scan(pilot, "SOAP")
        await pilot.pause()
        assert "Blind count: type what you count" in texts(app.screen)
        assert "50" not in texts(app.screen)
        await type_text(pilot, "45")
        await pilot.press("enter")
        await pilot.pause()
        table = app.screen.query_one("#count-lines", DataTable)
        assert headers(table) == ["SKU", "Item", "Counted", "At"]
        assert "system" not in notice(app) and "50" not in texts(app.screen, "#count-totals")
        await pilot.press("f11")
        await pilot.pause()
        assert isinstance(app.screen, ProductSearchDialog)
        await type_text(pilot, "cola")
        await pilot.pause()
        assert headers(app.screen.query_one(DataTable)) == ["Product", "Price", "SKU"]
        await pilot.press("enter")  # the first found: its count is asked, blind
        await pilot.pause()
        assert isinstance(app.screen, CountQtyDialog) and "Blind count" in texts(app.screen)
        await pilot.press("escape")
        await pilot.pause()
        # F10 tells the counter that the rest counts as zero
        await pilot.press("f10")
        await pilot.pause()
        assert "counted as ZERO" in texts(app.screen)
        await pilot.press("escape")
        await pilot.pause()
        # F8 cancels it, nothing moves
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "Count cancelled" in notice(app)
    assert StockCount.get().status == "cancelled" and on_hand(store, "SOAP") == 50_000


async def test_a_cashier_may_not_count(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, CountScreen)
        assert "cashier may not count stock" in notice(app)
        await pilot.press("f7")
        await pilot.pause()
        assert isinstance(app.screen, CountScreen)  # F7 does nothing for them
    assert StockCount.select().count() == 0


async def test_login_offers_the_employees_locations_the_tills_own_first(store: Store) -> None:
    auth.set_locations(store.ctx, "stock", ["WH", "MAIN"])
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "stock", "4444", float_=None)
        assert isinstance(app.screen, LocationDialog)
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == ["MAIN", "WH"]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CountScreen)
        assert store.ctx.location == "WH"
        assert "stock at WH" in status_text(app)
        assert "No stock count is open at WH" in texts(app.screen, "#count-state")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert store.ctx.session_location is None and store.ctx.location == "MAIN"
        # the till's own: nothing on the status bar about it
        await sign_in(pilot, "stock", "4444", float_=None)
        await pilot.press("enter")
        await pilot.pause()
        assert store.ctx.session_location is None and " at " not in status_text(app)
        await pilot.press("ctrl+l")
        await pilot.pause()
        # Esc at the question: nobody is signed in
        await sign_in(pilot, "stock", "4444", float_=None)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen) and app.employee is None
        assert "choose where you work" in texts(app.screen)


async def test_stock_in_f11_and_beside_the_line_with_a_warning_beyond_it(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "SOAP")
        assert "Neem Soap 100 g × 1  40.00 · 49 left in stock" in notice(app)
        await scan(pilot, "50*SOAP")
        assert "only 50 in stock: 1 short" in notice(app)
        assert app.screen.query_one("#notice").has_class("error")
        await pilot.press("f11")
        await pilot.pause()
        await type_text(pilot, "neem")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert headers(table) == ["Product", "Price", "Stock", "SKU"]
        assert table.get_row_at(0)[2] == "50"
        await pilot.press("escape")
        await pilot.pause()
        settings = store.ctx.settings
        store.ctx.settings = replace(settings, store=replace(settings.store, oversell="refuse"))
        await scan(pilot, "COLA")
        await scan(pilot, "50*COLA")
        assert isinstance(app.screen, SalesScreen)
        assert "Only 50 pcs of Cola 750 ml in stock" in notice(app)
    draft = sales.open_draft(store.ctx)
    assert draft is not None
    lines = {ln.sku: ln.qty_milli for ln in sales.lines_of(draft)}
    assert lines == {"SOAP": 51_000, "COLA": 1000}


def test_a_sku_is_shown_whole_or_with_its_end_kept() -> None:
    """'LOOSE-10001' showed as 'LOOSE-1000', which reads as another SKU."""
    from o2pos.tui.screens.counts import _sku

    assert _sku("LOOSE-10001") == "LOOSE-10001"
    assert _sku("STA-000598") == "STA-000598"
    cut = _sku("WAREHOUSE-ITEM-000123")
    assert len(cut) == 11 and cut.endswith("000123")
