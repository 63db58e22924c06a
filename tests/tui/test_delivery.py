"""Delivery by keys alone: a bill marked for delivery at the sales screen (ctrl+w), paid,
then delivered on the Delivery screen (ctrl+y): two units now by courier, the rest with F9."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from o2pos.core import deliveries, stock
from o2pos.core.models import Delivery, Product
from o2pos.tui.screens.delivery import DeliverDialog, DeliveryScreen
from o2pos.tui.screens.dialogs import QuantityDialog, TextDialog
from o2pos.tui.widgets.cart import Totals
from tests.conftest import Store
from tests.tui.test_flows import make_app, notice, scan, sign_in, type_text


def rice(store: Store) -> stock.Level:
    return stock.level(store.ctx, Product.get(Product.sku == "RICE1").id)


async def test_mark_a_bill_for_delivery_then_deliver_it_in_two_shipments(store: Store) -> None:
    before = rice(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "3*RICE1")
        await pilot.press("ctrl+w")
        await pilot.pause()
        await pilot.press("down", "enter")  # home delivery later
        await pilot.pause()
        totals = str(app.screen.query_one(Totals).render())
        assert "TO BE DELIVERED: home delivery" in totals and "TOTAL" in totals
        assert "^Y delivers it once paid" in notice(app)
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert rice(store) == stock.Level(before.on_hand, before.reserved + 3000)

        await pilot.press("ctrl+y")
        await pilot.pause()
        assert isinstance(app.screen, DeliveryScreen)
        bills = app.screen.query_one("#bills", DataTable)
        assert bills.row_count == 1 and str(bills.get_row_at(0)[0]) == "S-T1-000001"
        await pilot.press("down", "enter")  # the list, then the bill
        await pilot.pause()
        assert "S-T1-000001" in str(app.screen.query_one("#delivery-bill", Static).render())
        await pilot.press("enter")  # its one line: how many go now
        await pilot.pause()
        assert isinstance(app.screen, QuantityDialog)
        app.screen.query_one("#qty", Input).value = "1.5"
        await pilot.press("enter")
        await pilot.pause()
        assert "whole pcs, not 1.5" in str(app.screen.query_one(".error", Static).render())
        app.screen.query_one("#qty", Input).value = "2"
        await pilot.press("enter")
        await pilot.pause()
        lines = app.screen.query_one("#lines", DataTable)
        assert [str(c) for c in lines.get_row_at(0)][2:] == ["3", "0", "", "3", "2"]

        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, DeliverDialog)
        await pilot.press("down", "down", "enter")  # courier: a reference is needed
        await pilot.pause()
        assert "courier's reference" in str(app.screen.query_one(".error", Static).render())
        await type_text(pilot, "AWB 9001")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        slip = str(app.screen.query_one("#slip-text", Static).render())
        assert "DELIVERY NOTE" in slip and "DN-T1-000001" in slip and "AWB 9001" in slip
        await pilot.press("escape")
        await pilot.pause()
        assert "DN-T1-000001: S-T1-000001 1 still to deliver" in notice(app)
        assert rice(store) == stock.Level(before.on_hand - 2000, before.reserved + 1000)
        assert [str(c) for c in lines.get_row_at(0)][2:] == ["3", "2", "", "1", ""]

        await pilot.press("f9")  # all that is left, as the bill was marked: home
        await pilot.pause()
        assert "[reverse] Home delivery" in app.screen.query_one("#modes", Static).content
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert "DN-T1-000002: S-T1-000001 delivered in full" in notice(app)
        assert app.screen.query_one("#bills", DataTable).row_count == 0
    assert rice(store) == stock.Level(before.on_hand - 3000, before.reserved)
    assert [(d.number, d.mode, d.courier_ref) for d in Delivery.select().order_by(Delivery.id)] == [
        ("DN-T1-000001", "courier", "AWB 9001"),
        ("DN-T1-000002", "home", ""),
    ]
    assert deliveries.view(store.ctx, "S-T1-000001").pending_milli == 0


async def test_find_by_customer_and_bills_that_are_not_to_deliver(store: Store) -> None:
    store.open_register()
    taken = store.cash_sale("SOAP").sale.number
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert "No bills to deliver" in str(app.screen.query_one("#delivery-bill", Static).render())
        await pilot.press("f9")
        await pilot.pause()
        assert "Scan or pick the bill" in notice(app)
        await type_text(pilot, str(taken))
        await pilot.press("enter")
        await pilot.pause()
        assert f"{taken} was not marked for delivery" in notice(app)
        await type_text(pilot, "S-T1-999999")
        await pilot.press("enter")
        await pilot.pause()
        assert "No bill numbered S-T1-999999" in notice(app)
        await type_text(pilot, "lakshmi")
        await pilot.press("enter")
        await pilot.pause()
        assert "customers like 'lakshmi'" in str(
            app.screen.query_one("#delivery-bill", Static).render()
        )


async def test_what_came_back_before_delivery_has_its_column(store: Store) -> None:
    """Three of five taken back before delivery: the line read 'Ordered 5, Delivered 2,
    Pending 0', figures that do not add up for the clerk. 'Back' shows the 3."""
    from o2pos.core import returns, sales
    from o2pos.core.payments import Tender

    store.open_register()
    sale_id = store.bill("5*RICE1")
    sales.set_delivery(store.ctx, sale_id, "home", store.cashier)
    done = sales.checkout(
        store.ctx, sale_id, [Tender("cash", sales.get(sale_id).total)], store.cashier
    )
    (line,) = sales.lines_of(done.sale)
    returns.create(
        store.ctx, store.manager, done.sale.number, [returns.ReturnItem(line.id, 3000)], "cash"
    )
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await pilot.press("ctrl+y")
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        row = [str(c) for c in app.screen.query_one("#lines", DataTable).get_row_at(0)]
        assert row[2:6] == ["5", "0", "3", "2"]  # ordered, delivered, back, pending
