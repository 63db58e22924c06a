"""80×24 pictures of each screen and dialog (pytest-textual-snapshot).

Regenerate deliberately with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and
look at the difference before committing it.
"""

from __future__ import annotations

from pathlib import Path

from o2pos.config import Config
from o2pos.tui.app import TillApp
from tests.conftest import build_store

SIZE = (80, 24)


def app_for(tmp_path: Path, *, register_open: bool = False) -> TillApp:
    store = build_store(tmp_path)
    if register_open:
        store.open_register()
    return TillApp(store.ctx, Config(settings=store.ctx.settings))


def keys(text: str) -> list[str]:
    return list(text)


SIGN_IN = [*keys("cashier"), "tab", *keys("1111"), "enter"]


def test_login(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(app_for(tmp_path), terminal_size=SIZE)


def test_opening_float_dialog(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(app_for(tmp_path), terminal_size=SIZE, press=SIGN_IN)


def test_sales_with_lines(snap_compare, tmp_path: Path) -> None:
    press = [
        *SIGN_IN,
        *keys("RICE1"),
        "enter",
        *keys("3*SOAP"),
        "enter",
        *keys("0.755*ONION"),
        "enter",
        *keys("TRIM"),
        "enter",
    ]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_sales_unknown_barcode(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("RICE1"), "enter", *keys("8901234567891"), "enter"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_payment(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("RICE1"), "enter", *keys("SOAP"), "enter", "f10"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_help(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, "f1"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_payment_with_change(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("RICE1"), "enter", "f10", *keys("500")]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_register_screen(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("RICE1"), "enter", "f10", "enter", "f4"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_x_report(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("RICE1"), "enter", "f10", "enter", "f4", "x"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_manager_approval_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("TRIM"), "enter", "f9", *keys("10%"), "enter"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_discount_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("TRIM"), "enter", "f9"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_customer_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, "f7", *keys("la")]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_product_search(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, "f11", *keys("so")]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_reprint_a_bill(snap_compare, tmp_path: Path) -> None:
    press = [
        *SIGN_IN,
        *keys("RICE1"),
        "enter",
        "f10",
        *keys("500"),
        "enter",
        "f5",
        *keys("S-T1-000001"),
        "enter",
    ]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_dashboard(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("RICE1"), "enter", "f10", "enter", "f6"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_receipts(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, "f3"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_returns(snap_compare, tmp_path: Path) -> None:
    press = [
        *SIGN_IN,
        *keys("3*SOAP"),
        "enter",
        "f10",
        "enter",
        "ctrl+r",
        *keys("S-T1-000001"),
        "enter",
    ]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_sales_marked_for_delivery(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("3*RICE1"), "enter", "ctrl+w", "down", "down", "enter"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_delivery_mark_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("RICE1"), "enter", "ctrl+w"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


DELIVERY_BILL = [*keys("3*RICE1"), "enter", *keys("2*SOAP"), "enter", "ctrl+w", "down", "enter"]


def test_delivery_pending_list(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *DELIVERY_BILL, "f10", "enter", "ctrl+y"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_delivery_of_a_bill(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *DELIVERY_BILL, "f10", "enter", "ctrl+y", "down", "enter", "enter"]
    press += ["backspace", *keys("2"), "enter"]  # two of the three rice packs go now
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_deliver_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *DELIVERY_BILL, "f10", "enter", "ctrl+y", "down", "enter", "f9", "down"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_quantity_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("RICE1"), "enter", "ctrl+q"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_lot_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("2*MILK"), "ctrl+t"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_cash_out_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, "f4", "u", *keys("100"), "enter"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_quick_add_dialog(snap_compare, tmp_path: Path) -> None:
    from o2pos.core.models import Product, QuickButton

    app = app_for(tmp_path, register_open=True)
    for position, sku in enumerate(["ONION", "RICE1", "SOAP", "COLA"], 1):
        product = Product.get(Product.sku == sku)
        QuickButton.create(position=position, label=product.name[:12], product=product)
    assert snap_compare(app, terminal_size=SIZE, press=[*SIGN_IN, "ctrl+k"])


def test_serial_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("PHONE"), "enter"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_recall_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("RICE1"), "enter", "f8", *keys("SOAP"), "enter", "f8", "f8"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_price_override_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("SOAP"), "enter", "ctrl+p"]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_gift_voucher_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*SIGN_IN, *keys("RICE1"), "enter", "ctrl+g", *keys("1000")]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_close_register_z_report(snap_compare, tmp_path: Path) -> None:
    press = [
        *SIGN_IN,
        "f4",
        "c",
        *keys("1990"),
        "enter",
        *keys("manager"),
        "enter",
        *keys("222222"),
        "enter",
    ]
    assert snap_compare(app_for(tmp_path, register_open=True), terminal_size=SIZE, press=press)


def test_sync_status_without_a_central(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(app_for(tmp_path), terminal_size=SIZE, press=["f12"])


def test_sync_status_showing_a_fork(snap_compare, tmp_path: Path) -> None:
    """The alert as a till shows it after the central refused a forked journal."""
    from o2pos.config import CentralConfig
    from o2pos.core import syncstate
    from o2pos.tui.sync_monitor import SyncUpdated

    store = build_store(tmp_path)
    store.open_register()
    syncstate.note(
        store.ctx,
        state="fork",
        online=True,
        error="Fork: seq 12 differs from the event the central holds",
    )
    central = CentralConfig(url="https://central.example.com", token="t")
    app = TillApp(store.ctx, Config(settings=store.ctx.settings, central=central))

    async def quiet_monitor(pilot) -> None:  # the picture, not a live round
        pilot.app.sync._timer.stop()
        pilot.app.post_message(SyncUpdated(syncstate.summary(store.ctx)))
        await pilot.pause()

    press = [*SIGN_IN, "f12"]
    assert snap_compare(app, terminal_size=SIZE, press=press, run_before=quiet_monitor)


STOCK_SIGN_IN = [*keys("stock"), "tab", *keys("4444"), "enter"]


# stock staff sign in to their count; ctrl+o takes them to transfers out (again: in)
TRANSFERS = [*STOCK_SIGN_IN, "ctrl+o"]


def transfer_app(tmp_path: Path) -> TillApp:
    """The test store, which knows the warehouse WH and a branch."""
    from o2pos.core.models import Location

    store = build_store(tmp_path)
    with store.ctx.write():
        Location.create(code="WH", name="Warehouse")
        Location.create(code="BR2", name="Branch 2, Jayanagar")
    return TillApp(store.ctx, Config(settings=store.ctx.settings))


def test_transfer_destination_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*TRANSFERS, "f7"]
    assert snap_compare(transfer_app(tmp_path), terminal_size=SIZE, press=press)


TRANSFER_LINES = [
    *TRANSFERS,
    "f7",
    "down",
    "enter",
    *keys("5*SOAP"),
    "enter",
    *keys("3*MILK"),
    "enter",
    *keys("0.25*ONION"),
    "enter",
]


def test_transfer_out_with_lines(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(transfer_app(tmp_path), terminal_size=SIZE, press=TRANSFER_LINES)


def test_transfer_send_confirmation(snap_compare, tmp_path: Path) -> None:
    press = [*TRANSFER_LINES, "f10"]
    assert snap_compare(transfer_app(tmp_path), terminal_size=SIZE, press=press)


def test_transfer_in_without_a_central(snap_compare, tmp_path: Path) -> None:
    press = [*TRANSFERS, "ctrl+o"]
    assert snap_compare(transfer_app(tmp_path), terminal_size=SIZE, press=press)


def test_transfer_in_counting(snap_compare, tmp_path: Path) -> None:
    """A transfer from the warehouse, as the central would hand it, being counted: one line
    short with its reason, the others taken as sent (F8)."""
    from o2pos.core.transfers import Incoming, IncomingLine

    incoming = Incoming(
        uuid="8d1f3b52-6c0e-4a57-9b1e-2f4c6d8e0a13",
        number="TO-T7-000012",
        sent_by="T7",
        from_location="WH",
        to_location="MAIN",
        sent_at="2026-11-20T05:10:00.000000Z",
        lines=(
            IncomingLine(1, "SOAP", "Neem Soap 100 g", "pcs", 5000),
            IncomingLine(2, "MILK", "Toned Milk 1 l", "pcs", 12000, "L2611", "2026-12-31"),
            IncomingLine(3, "ONION", "Onion (loose)", "kg", 2500),
        ),
    )

    async def open_it(pilot) -> None:
        for key in [*TRANSFERS, "ctrl+o"]:
            await pilot.press(key)
        await pilot.pause()
        pilot.app.screen.opened(incoming, None)
        await pilot.pause()

    press = ["down", "enter", "backspace", "4", "enter", *keys("carton crushed"), "enter", "f8"]
    app = transfer_app(tmp_path)
    assert snap_compare(app, terminal_size=SIZE, press=press, run_before=open_it)


def test_count_screen(snap_compare, tmp_path: Path) -> None:
    """A count with three lines: system, counted, variance and value, the totals."""
    press = [
        *STOCK_SIGN_IN,
        "f7",
        "enter",
        *keys("48*SOAP"),
        "enter",
        *keys("0*COLA"),
        "enter",
        *keys("52*RICE1"),
        "enter",
    ]
    assert snap_compare(app_for(tmp_path), terminal_size=SIZE, press=press)


def test_count_help(snap_compare, tmp_path: Path) -> None:
    press = [*STOCK_SIGN_IN, "f7", "enter", "f1"]
    assert snap_compare(app_for(tmp_path), terminal_size=SIZE, press=press)


def test_new_count_dialog(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(app_for(tmp_path), terminal_size=SIZE, press=[*STOCK_SIGN_IN, "f7", "b"])


def test_count_quantity_dialog(snap_compare, tmp_path: Path) -> None:
    press = [*STOCK_SIGN_IN, "f7", "enter", *keys("SOAP"), "enter"]
    assert snap_compare(app_for(tmp_path), terminal_size=SIZE, press=press)


def test_location_at_login(snap_compare, tmp_path: Path) -> None:
    from o2pos.core import auth
    from o2pos.core.models import Location

    app = app_for(tmp_path)
    Location.create(code="WH", name="Warehouse, Peenya")
    auth.set_locations(app.ctx, "stock", ["MAIN", "WH"])
    assert snap_compare(app, terminal_size=SIZE, press=STOCK_SIGN_IN)


# --- credit control (docs/credit.md): Lakshmi Rao, limit ₹1,000.00, 30 days ----------------


def _credit_app(tmp_path: Path) -> TillApp:
    from o2pos.core.models import Customer

    app = app_for(tmp_path, register_open=True)
    Customer.update(credit_limit=100000, credit_days=30).where(Customer.uuid == "c-local").execute()
    return app


async def _bill_for_lakshmi(pilot) -> None:
    """A ₹1,180.00 bill for her, and F7's answer about her credit on the screen."""
    from tests.tui.test_flows import notice, wait_for

    for key in [*SIGN_IN, *keys("TRIM"), "enter", "f7", *keys("Lakshmi"), "enter"]:
        await pilot.press(key)
    await wait_for(pilot, lambda: "limit" in notice(pilot.app))


def test_payment_shows_the_customers_credit(snap_compare, tmp_path: Path) -> None:
    app = _credit_app(tmp_path)
    assert snap_compare(app, terminal_size=SIZE, press=["f10"], run_before=_bill_for_lakshmi)


def test_on_account_past_the_limit_asks_a_manager(snap_compare, tmp_path: Path) -> None:
    app = _credit_app(tmp_path)
    press = ["f10", "up", "enter"]  # up from cash: on account
    assert snap_compare(app, terminal_size=SIZE, press=press, run_before=_bill_for_lakshmi)


def _app_with_offers(tmp_path: Path) -> TillApp:
    """The test store with buy 2 get 1 free on soap, 10 % off drinks, 50 off above 500."""
    from tests.unit.test_offers_at_till import with_offers

    store = build_store(tmp_path)
    store.open_register()
    with_offers(store)
    return TillApp(store.ctx, Config(settings=store.ctx.settings))


def test_sales_with_a_free_item(snap_compare, tmp_path: Path) -> None:
    """The third soap free: the offer named on the line, its saving in Disc, the notice."""
    press = [*SIGN_IN, *keys("RICE1"), "enter", *keys("3*SOAP"), "enter"]
    assert snap_compare(_app_with_offers(tmp_path), terminal_size=SIZE, press=press)


def test_promotions_in_the_discount_dialog(snap_compare, tmp_path: Path) -> None:
    """F9 lists the offers the bill gets and the one a soap more would give."""
    press = [*SIGN_IN, *keys("2*SOAP"), "enter", *keys("2*COLA"), "enter", "f9"]
    assert snap_compare(_app_with_offers(tmp_path), terminal_size=SIZE, press=press)
