"""Offers at the counter, as the cashier drives them: the third soap free, named on its
cart line; a soap fewer, and the notice says the free one went."""

from __future__ import annotations

from textual.widgets import Input, Static

from o2pos.tui.screens.bill_dialogs import DiscountDialog
from o2pos.tui.widgets.cart import CartTable
from tests.conftest import Store
from tests.tui.test_flows import make_app, notice, scan, sign_in
from tests.unit.test_offers_at_till import with_offers


async def test_the_third_soap_is_free_and_taking_one_off_says_so(store: Store) -> None:
    with_offers(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "SOAP")
        await scan(pilot, "SOAP")
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, DiscountDialog)
        promotions = str(app.screen.query_one("#promotions", Static).render())
        assert "Add 1 more for Buy 2 get 1 free" in promotions
        await pilot.press("escape")
        await pilot.pause()
        await scan(pilot, "SOAP")
        assert notice(app) == "Buy 2 get 1 free applies: 1 Neem Soap 100 g free."
        row = str(app.screen.query_one(CartTable).render_line(0).text)
        assert row.split("·")[0].split()[1:] == ["Neem", "So…", "100", "g"]  # cut to fit
        assert "· Buy 2 get 1 free" in row
        assert row.split()[-3:] == ["40.00", "18%", "80.00"]  # Disc, Tax, Amount
        await pilot.press("ctrl+q")
        await pilot.pause()
        app.screen.query_one("#qty", Input).value = "2"
        await pilot.press("enter")
        await pilot.pause()
        assert notice(app) == ("Buy 2 get 1 free no longer applies: 1 Neem Soap 100 g not free.")
        row = str(app.screen.query_one(CartTable).render_line(0).text)
        assert "Buy 2 get 1 free" not in row and row.split()[-1] == "80.00"
