"""At the till: F7 and the payment dialog show a customer's credit; on account past the
limit asks for a manager's PIN in the payment dialog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Static

from o2pos.core.models import Customer, Journal, Sale
from o2pos.tui.approval import ManagerPinDialog
from o2pos.tui.screens.payment import PaymentScreen
from o2pos.tui.screens.sales import SalesScreen
from tests.conftest import Store, build_store
from tests.tui.test_flows import (
    approve_as_manager,
    make_app,
    notice,
    scan,
    sign_in,
    type_text,
    wait_for,
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = build_store(tmp_path)
    Customer.update(credit_limit=100000, credit_days=30).where(Customer.uuid == "c-local").execute()
    return s


async def _choose_lakshmi(pilot) -> None:
    await pilot.press("f7")
    await pilot.pause()
    await type_text(pilot, "Lakshmi")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def _on_account(pilot, app) -> None:
    """F10, then the on-account method, then Enter."""
    await pilot.press("f10")
    await pilot.pause()
    assert isinstance(app.screen, PaymentScreen)
    while app.screen.method.kind != "on_account":
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()


async def test_on_account_past_the_limit_asks_a_manager_in_the_payment_dialog(
    store: Store,
) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "TRIM")  # ₹1,180.00, past the ₹1,000.00 limit
        await _choose_lakshmi(pilot)
        await wait_for(pilot, lambda: "limit ₹1,000.00" in notice(app))
        assert "Outstanding ₹0.00" in notice(app)
        await pilot.press("f10")
        await pilot.pause()
        note = str(app.screen.query_one("#payment-note", Static).render())
        assert note == "Outstanding ₹0.00 · limit ₹1,000.00 · 30 days"
        await pilot.press("escape")
        await pilot.pause()
        await _on_account(pilot, app)
        assert isinstance(app.screen, ManagerPinDialog)
        reason = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "past the limit of ₹1,000.00" in reason
        await approve_as_manager(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, SalesScreen))
        assert "1,180.00 on account" in notice(app)
    sale = Sale.get(Sale.number == "S-T1-000001")
    assert sale.balance == 118000
    event = Journal.get(Journal.event_type == "sale.completed")
    assert event.approved_by == "manager"
    assert json.loads(event.payload)["credit"]["approved_by"] == "manager"


async def test_cancelling_the_pin_leaves_the_bill_unpaid(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "TRIM")
        await _choose_lakshmi(pilot)
        await _on_account(pilot, app)
        assert isinstance(app.screen, ManagerPinDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PaymentScreen)
        error = str(app.screen.query_one(".error", Static).render())
        assert "no manager approval" in error
    assert not Sale.select().where(Sale.status == "completed").exists()


async def test_a_on_a_bill_shown_for_reprint_saves_its_a4_invoice(store: Store) -> None:
    from o2pos.tui.screens.dialogs import TextDialog

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "TRIM")
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")  # cash: S-T1-000001
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        await scan(pilot, "S-T1-000001")
        assert isinstance(app.screen, TextDialog)
        assert "a: A4 invoice" in " ".join(str(s.render()) for s in app.screen.query(Static))
        await pilot.press("a")
        saved = store.ctx.settings.terminal.data_dir / "invoices" / "INVOICE-S-T1-000001.pdf"
        await wait_for(pilot, saved.exists)
    assert saved.read_bytes().startswith(b"%PDF")


async def test_a_bill_whose_customer_was_not_chosen_with_f7_asks_for_the_dues_at_f10(
    store: Store,
) -> None:
    """A recalled bill, say: F7's answer is not there, so F10 asks; the payment then goes
    by the answer, not by 'offline'."""
    from o2pos.core import sales

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "TRIM")
        screen = app.screen
        assert isinstance(screen, SalesScreen)
        customer = Customer.get(Customer.uuid == "c-local")
        sales.set_customer(store.ctx, screen.sale_id, customer.id, store.cashier)
        assert screen.dues is None
        await pilot.press("f10")
        await wait_for(pilot, lambda: screen.dues is not None)
        while app.screen.method.kind != "on_account":
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinDialog)
        reason = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "past the limit of ₹1,000.00" in reason and "offline" not in reason
