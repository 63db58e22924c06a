"""Selling a gift voucher at the till by keys alone: ctrl+g, the amount, Enter, F10, Enter."""

from __future__ import annotations

import sys

import pytest
from textual.widgets import Input, Static

from o2pos.core import sales
from o2pos.core.models import Sale, Voucher
from o2pos.tui.screens.bill_dialogs import GiftVoucherDialog
from o2pos.tui.screens.dialogs import TextDialog
from o2pos.tui.screens.payment import PaymentScreen
from o2pos.tui.screens.sales import SalesScreen
from o2pos.tui.widgets.cart import CartTable
from tests.conftest import Store
from tests.tui.test_flows import make_app, notice, scan, sign_in, type_text, wait_for


def error_of(app) -> str:
    return str(app.screen.query_one(".error", Static).render())


def cart_names(app) -> list[str]:
    """The bill on screen, as the cart shows it."""
    assert app.screen.query_one(CartTable).row_count == len(
        sales.bill_view(app.screen.sale_id).lines
    )
    return [line.name for line in sales.bill_view(app.screen.sale_id).lines]


async def test_sell_a_gift_voucher_with_goods_and_reprint_it(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, GiftVoucherDialog)
        # a letter, a zero or too much is refused in the dialog, which stays
        await type_text(pilot, "x0")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GiftVoucherDialog)
        assert "'x0' is not an amount" in error_of(app)
        app.screen.query_one("#amount", Input).value = "0"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GiftVoucherDialog)
        assert "more than zero" in error_of(app)
        await pilot.press("backspace")
        await type_text(pilot, "60000")
        await pilot.press("enter")
        await pilot.pause()
        assert "at most 50,000.00" in error_of(app)
        for _ in range(5):
            await pilot.press("backspace")
        await type_text(pilot, "1000")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen)
        assert cart_names(app) == ["Basmati Rice 1 kg", "Gift voucher"]
        assert "Gift voucher 1,000.00 added" in notice(app)

        # a gift voucher cannot pay for it: Gift voucher is the fifth method
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, PaymentScreen)
        for _ in range(4):
            await pilot.press("down")
        assert app.screen.method.code == "gift_voucher"
        await pilot.press("end", *["backspace"] * len("1189.00"))
        await type_text(pilot, "300")  # 300.00 of GV-1, the rest in cash
        await pilot.press("tab")
        await type_text(pilot, "GV-1")
        await pilot.press("enter")
        await pilot.pause()
        for _ in range(4):
            await pilot.press("up")
        assert app.screen.method.code == "cash"
        assert app.screen.query_one("#amount", Input).value == "889.00"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PaymentScreen)
        assert error_of(app) == (
            "A gift voucher is paid in cash, card or UPI: a gift voucher, credit note or "
            "on account can pay only the other 189.00 of this bill"
        )
        assert Voucher.get(Voucher.code == "GV-1").balance == 50000
        await pilot.press("escape")
        await pilot.pause()

        # cash it is: F10, Enter
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen)
        assert "Bill S-T1-000001 paid 1,189.00" in notice(app)
        sold = Voucher.get(Voucher.code == "GV-T1-000001")
        assert (sold.kind, sold.amount, sold.balance) == ("gift_voucher", 100000, 100000)

        # F5: the bill's slip, as reprinted, carries the voucher
        await pilot.press("f5")
        await pilot.pause()
        await type_text(pilot, "S-T1-000001")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        slip = str(app.screen.query_one("#slip-text", Static).render())
        assert "GIFT VOUCHER" in slip and "GV-T1-000001" in slip and "Valid till" in slip
    assert Sale.get(Sale.number == "S-T1-000001").total == 118900


async def test_esc_sells_nothing_and_a_billing_employee_is_told_at_once(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+g")
        await pilot.pause()
        await type_text(pilot, "500")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen) and cart_names(app) == []
        assert app.focused is app.screen.query_one("#item", Input)
        await pilot.press("ctrl+l")
        await pilot.pause()
        await sign_in(pilot, "billing", "3333", float_=None)
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen)
        assert "billing may not sell gift vouchers" in notice(app)
    assert not Voucher.select().where(Voucher.code != "GV-1").exists()


async def test_without_the_sync_extra_a_voucher_tender_is_refused_not_left_waiting(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's quick start installs the till alone, and the demo store takes gift
    vouchers: the central's client is not there to import. The dialog said it was asking
    the central and waited for ever; it says what is missing, and cash still pays."""
    import o2pos.sync

    monkeypatch.setitem(sys.modules, "o2pos.sync.vouchers", None)  # an import now fails
    monkeypatch.delattr(o2pos.sync, "vouchers", raising=False)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        await pilot.press("f10")
        await pilot.pause()
        for _ in range(4):
            await pilot.press("down")
        assert app.screen.method.code == "gift_voucher"
        await pilot.press("tab")
        await type_text(pilot, "GV-1")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "pip install 'o2pos[sync]'" in error_of(app))
        assert error_of(app).startswith("Gift vouchers and credit notes are checked at the")
        assert not app.screen.asking
        assert "Asking the central" not in str(app.screen.query_one("#change", Static).render())
        for _ in range(4):
            await pilot.press("up")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen)
        assert "paid 189.00" in notice(app)
