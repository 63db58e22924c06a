"""Stock transfer out, by keys alone: ctrl+o, F7 where, scans, F10, Enter; a note prints."""

from __future__ import annotations

from textual.widgets import DataTable

from o2pos.core import stock, transfers
from o2pos.core.models import Journal, Location, Product, Transfer
from o2pos.tui.screens.dialogs import HelpDialog, TextDialog
from o2pos.tui.screens.transfers import (
    ConfirmDialog,
    DestinationDialog,
    TransferInScreen,
    TransferOutScreen,
)
from tests.conftest import Store
from tests.tui.test_flows import make_app, notice, scan, sign_in


def with_warehouse(store: Store) -> Store:
    with store.ctx.write():
        Location.create(code="WH", name="Warehouse")
    return store


async def test_send_five_soaps_to_the_warehouse_and_print_the_note(store: Store) -> None:
    with_warehouse(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "stock", "4444", float_=None)  # to the stock count
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, TransferOutScreen)
        assert "F7 chooses where the goods go" in notice(app)
        await scan(pilot, "5*SOAP")  # no destination yet: asked first, then the scan goes on
        assert isinstance(app.screen, DestinationDialog)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TransferOutScreen)
        assert "Neem Soap 100 g × 5" in notice(app)
        await scan(pilot, "RICE1")
        await scan(pilot, "NOPE")
        assert "Unknown barcode or SKU: NOPE" in notice(app)
        await pilot.press("ctrl+a", "backspace")  # the bad code out of the box
        assert app.screen.query_one("#lines", DataTable).row_count == 2
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # not yet: nothing is sent
        await pilot.pause()
        assert Transfer.get().status == "draft"
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        slip = app.slip_text("TO-T1-000001")
        assert "STOCK TRANSFER" in slip and "Neem Soap 100 g" in slip
        await pilot.press("escape")
        await pilot.pause()
        assert "Transfer TO-T1-000001 sent to WH" in notice(app)
        assert app.screen.query_one("#lines", DataTable).row_count == 0
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpDialog)
        keys = str(app.screen.query_one("#help-keys").render())
        assert "Destination" in keys and "Transfers" in keys and "Send" in keys
        await pilot.press("escape")
        await pilot.press("ctrl+o")  # again: the incoming side
        await pilot.pause()
        assert isinstance(app.screen, TransferInScreen)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, TransferOutScreen)
    soap = Product.get(Product.sku == "SOAP").id
    assert stock.level(store.ctx, soap, "MAIN").on_hand == 45_000
    assert stock.level(store.ctx, soap, "WH").in_transit == 5_000
    assert Journal.select().where(Journal.event_type == "transfer.sent").count() == 1


async def test_a_draft_survives_a_lock_and_lines_are_changed_by_keys(store: Store) -> None:
    with_warehouse(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "stock", "4444", float_=None)
        await pilot.press("ctrl+o", "f7")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await scan(pilot, "SOAP")
        await scan(pilot, "COLA")
        await pilot.press("down")  # to the lines
        await pilot.press("up")
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("backspace", "3", "enter")
        await pilot.pause()
        assert "Neem Soap 100 g × 3" in notice(app)
        await pilot.press("down", "ctrl+d")
        await pilot.pause()
        assert "Cola 750 ml taken off the transfer" in notice(app)
        await pilot.press("ctrl+l")
        await pilot.pause()
        await sign_in(pilot, "stock", "4444", float_=None)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert "The transfer in progress, 1 line:" in notice(app)
        await pilot.press("f2")  # stock staff do not sell: told so, and stay
        await pilot.pause()
        assert isinstance(app.screen, TransferOutScreen)
    draft = transfers.open_draft(store.ctx)
    assert draft is not None and [(ln.sku, ln.qty_milli) for ln in draft.lines] == [("SOAP", 3000)]


async def test_a_cashier_is_told_who_may_transfer_and_nothing_is_written(store: Store) -> None:
    with_warehouse(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert "cashier may not move and count stock" in notice(app)
        await scan(pilot, "SOAP")
        assert "may not move and count stock" in notice(app)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert "may not move and count stock" in notice(app)
    assert Transfer.select().count() == 0


async def test_the_incoming_list_offline_says_it_needs_the_central(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "stock", "4444", float_=None)
        await pilot.press("ctrl+o", "ctrl+o")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, TransferInScreen)
        assert "no central configured" in notice(app)
        assert "need the central" in str(app.screen.query_one("#transfer-head").render())
