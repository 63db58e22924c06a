"""F7 reprices the bill at the customer group's prices and says so; the payment dialog
offers points to a named customer and says why it cannot take them offline (issue 15)."""

from __future__ import annotations

from textual.widgets import Input, Static

from tests.conftest import Store
from tests.tui.test_flows import make_app, notice, scan, sign_in, type_text, wait_for
from tests.unit.test_loyalty import setup_points
from tests.unit.test_pricelists import load_groups


async def choose(pilot, name: str) -> None:
    await pilot.press("f7")
    await pilot.pause()
    await type_text(pilot, name)
    await pilot.pause()
    await pilot.press("down", "enter")  # into the matches, on the first
    await pilot.pause()


async def test_f7_reprices_the_bill_with_a_notice_and_walk_in_goes_back(store: Store) -> None:
    load_groups(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        await choose(pilot, "Lakshmi")
        assert "Wholesale prices: 1 line repriced" in notice(app)
        totals = str(app.screen.query_one("#totals", Static).render())
        assert "Lakshmi Rao" in totals and "170.00" in totals
        await pilot.press("f7")
        await pilot.pause()
        await pilot.press("down", "enter")  # walk-in
        await pilot.pause()
        assert "List prices: 1 line repriced" in notice(app)


async def test_points_are_offered_to_a_named_customer_and_refused_offline(store: Store) -> None:
    setup_points(store, balance=40)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await scan(pilot, "RICE1")
        await pilot.press("f10")
        await pilot.pause()
        methods = str(app.screen.query_one("#methods", Static).render())
        assert "Points" not in methods  # a walk-in bill has nobody's points
        await pilot.press("escape")
        await pilot.pause()
        await choose(pilot, "Lakshmi")
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("up")  # from cash back round to points, the last method
        await pilot.pause()
        change = str(app.screen.query_one("#change", Static).render())
        assert "40 points (40.00) as this till knows" in change
        app.screen.query_one("#amount", Input).value = "20"
        await pilot.press("enter")

        def error() -> str:
            return str(app.screen.query_one(".error", Static).render())

        await wait_for(pilot, lambda: "offline" in error())  # the central was asked in a worker
        assert "Points cannot be redeemed offline" in error()
