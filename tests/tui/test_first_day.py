"""The defects a new cashier met on the first day (issue 11), each driven by keys as the
cashier pressed them. The same keys are also sent as terminal bytes in tmux
(tests/tui/test_keys_in_a_terminal.py); these tests check what each one changes."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, Static

from o2pos.config import Config, PrinterConfig
from o2pos.core import register, sales
from o2pos.core.models import Customer, PrintJob, Sale
from o2pos.core.money import format_amount
from o2pos.tui.app import TillApp
from o2pos.tui.screens.dialogs import QuantityDialog, TextDialog
from o2pos.tui.screens.lookup import ReprintScreen
from o2pos.tui.screens.payment import PaymentScreen
from o2pos.tui.screens.sales import SalesScreen
from o2pos.tui.widgets.cart import CartTable
from o2pos.tui.widgets.key_bar import KeyBar
from tests.conftest import START, Store
from tests.tui.test_flows import make_app, notice, open_return, scan, sign_in, type_text


def bar(app: object) -> str:
    return str(app.screen.query_one(KeyBar).render())  # type: ignore[attr-defined]


async def test_ctrl_q_is_quantity_and_never_quits(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")  # on the login screen: nothing at all
        await pilot.pause()
        assert app.is_running
        await sign_in(pilot)
        await scan(pilot, "SOAP")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuantityDialog)
        app.screen.query_one("#qty", Input).value = "4"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen) and app.is_running
    [line] = sales.lines_of(sales.open_draft(store.ctx))
    assert line.qty_milli == 4000


async def test_ctrl_c_says_how_to_leave_and_the_till_goes_on(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "SOAP")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, SalesScreen)
        assert any("^E leaves it" in str(n.message) for n in app._notifications)
        await scan(pilot, "SOAP")  # and the till still sells
        assert app.screen.query_one(CartTable).row_count == 1
        await pilot.press("ctrl+e")  # the documented way out
        await pilot.pause()
        assert not app.is_running and app.return_code == 0


async def test_the_customer_dialog_shows_its_error_inside_80x24(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("f7")
        await pilot.pause()
        await type_text(pilot, "a")  # a search with several matches fills the list
        await pilot.pause()
        app.screen.query_one("#new-name", Input).value = "New Person"
        app.screen.query_one("#new-phone", Input).focus()
        await type_text(pilot, "12345")
        await pilot.press("enter")
        await pilot.pause()
        box = app.screen.query_one("#customer-box")
        error = box.query_one(".error", Static)
        assert "not a phone number" in str(error.render())
        # on screen, inside the dialog's frame: not clipped away under its border
        assert error.region.height == 1 and error.region.bottom <= box.content_region.bottom
        hint = box.query(".muted").last()
        assert hint.region.bottom <= box.content_region.bottom <= 24
    assert Customer.select().where(Customer.name == "New Person").count() == 0


async def test_a_repeat_scan_highlights_the_line_it_changed(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "SOAP")
        await scan(pilot, "RICE1")
        await scan(pilot, "SOAP")  # adds to line 1
        cart = app.screen.query_one(CartTable)
        soap = sales.lines_of(sales.open_draft(store.ctx))[0]
        assert cart.selected_line_id == soap.id and soap.qty_milli == 2000
        await pilot.press("ctrl+d")  # removes the soap, not the rice
        await pilot.pause()
    [left] = sales.lines_of(sales.open_draft(store.ctx))
    assert left.sku == "RICE1"


async def test_an_unknown_code_points_to_find_by_name(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "basmati rice")
        assert "Unknown barcode or SKU: basmati rice (F11 finds a product by name)" in notice(app)


async def test_a_coupons_removal_is_said_once(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "3*RICE1")  # 567.00
        draft = sales.open_draft(store.ctx)
        sales.apply_coupon(store.ctx, draft.id, "TEN", store.cashier)
        await pilot.press("ctrl+q")
        await pilot.pause()
        app.screen.query_one("#qty", Input).value = "1"  # 189.00: below TEN's 500.00
        await pilot.press("enter")
        await pilot.pause()
        assert "Coupon TEN removed" in notice(app)
        await scan(pilot, "SOAP")  # an unrelated change
        assert "Coupon TEN removed" not in notice(app)
        assert "Neem Soap" in notice(app)


async def test_the_disc_column_adds_up_to_the_bills_discount(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")  # 189.00
        await scan(pilot, "SOAP")  # 40.00
        draft = sales.open_draft(store.ctx)
        sales.set_order_discount(store.ctx, draft.id, "amount", 1000, store.cashier)
        await scan(pilot, "SOAP")  # the cart redraws with the bill discount spread
        cart = app.screen.query_one(CartTable)
        rows = [str(cart.render_line(y).text) for y in range(2)]
        discs = [row.split()[-3] for row in rows]  # … Qty Price Disc Tax Amount
        assert discs == ["7.03", "2.97"]  # 10.00 spread by value, as the totals say
        assert "Disc 10.00" in str(app.screen.query_one("#totals", Static).render())


async def test_item_names_keep_their_pack_size_at_80_columns(store: Store) -> None:
    from o2pos.core.models import Product

    for size in ("280 g", "560 g"):
        Product.create(
            sku=f"MAGGI{size[:3]}",
            name=f"Maggi 2-Minute Masala Noodles Family Pack {size}",
            price=5000,
            tax_class="GST12",
        )
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "MAGGI280")
        await scan(pilot, "MAGGI560")
        cart = app.screen.query_one(CartTable)
        rows = [str(cart.render_line(y).text) for y in range(2)]
        assert "280 g" in rows[0] and "560 g" in rows[1]
        assert all(len(row) <= 80 for row in rows)
        # and in F11's results, where the two read alike, cut at the same place
        await pilot.press("f11")
        await pilot.pause()
        await type_text(pilot, "maggi family")
        await pilot.pause()
        results = app.screen.query_one("#results", DataTable)
        names = sorted(str(results.get_row_at(y)[0]) for y in range(results.row_count))
        assert [name[-5:] for name in names] == ["280 g", "560 g"]


async def test_on_account_says_what_is_owed_not_paid(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        draft = sales.open_draft(store.ctx)
        lakshmi = Customer.get(Customer.name == "Lakshmi Rao")
        sales.set_customer(store.ctx, draft.id, lakshmi.id, store.cashier)
        await pilot.press("f10")
        await pilot.pause()
        payment = app.screen
        assert isinstance(payment, PaymentScreen)
        while payment.method.kind != "on_account":
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert "S-T1-000001 189.00 on account" in notice(app)
        assert "paid" not in notice(app)


async def test_a_card_reference_then_tab_and_enter(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("down")  # card
        await pilot.press("enter")  # the amount: card needs its approval code first
        await pilot.pause()
        screen = app.screen
        assert app.focused is screen.query_one("#reference", Input)
        hint = str(screen.query_one("#payment-hint", Static).render())
        assert "Tab: to the amount" in hint
        await type_text(pilot, "AUTH77")
        await pilot.press("enter")
        await pilot.pause()
        assert "S-T1-000001 paid 189.00" in notice(app)
    sale = Sale.get(Sale.number == "S-T1-000001")
    assert sale.paid == 18900


async def test_the_key_bar_is_whole_at_80_columns_on_every_screen(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        shown = {}
        for key in ("f2", "f3", "f4", "f5", "f6", "ctrl+r"):
            await pilot.press(key)
            await pilot.pause()
            text = bar(app)
            shown[type(app.screen).__name__] = text
            assert len(text) <= 80 and text.rstrip().endswith("F1 Keys"), text
        assert shown["SalesScreen"].startswith(" F10 Pay  F7 Cust  F9 Disc  F11 Find")
        assert "^Q Qty" in shown["SalesScreen"] and "^D Del" in shown["SalesScreen"]
        assert "F2 Sales" in shown["DashboardScreen"] and "F6 Dashboard" in shown["ReprintScreen"]
        # the register's keys are those that apply: Open only while it is closed
        assert "c Close" in shown["RegisterScreen"] and "o Open" not in shown["RegisterScreen"]


async def test_reprint_with_200_bills_keeps_its_status_bar_and_says_what_is_wrong(
    store: Store,
) -> None:
    store.open_register()
    for _ in range(200):
        store.cash_sale("SOAP")
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, ReprintScreen)
        status = app.screen.query_one(".status-bar")
        assert status.region.y == 0 and app.screen.scroll_y == 0
        await type_text(pilot, "S-T1-999999")
        await pilot.press("enter")
        await pilot.pause()
        assert "S-T1-999999: no document of this till" in notice(app)
        assert app.screen.query_one(".status-bar").region.y == 0
        # ↓ from the number box lands on the first (newest) document, not the second
        await pilot.press("down")
        await pilot.pause()
        table = app.screen.query_one("#recent", DataTable)
        assert app.focused is table and table.cursor_row == 0
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        newest = Sale.select().where(Sale.status == "completed").order_by(Sale.id.desc())[0]
        newest = newest.number
        assert newest in str(app.screen.query_one("#slip-text", Static).render())


async def test_down_from_the_number_box_lands_on_the_first_line_of_a_return(
    store: Store,
) -> None:
    store.open_register()
    done = store.cash_sale("SOAP", "RICE1")
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await open_return(pilot, done.sale.number)
        app.screen.query_one("#number", Input).focus()
        await pilot.press("down")
        await pilot.pause()
        table = app.screen.query_one("#lines", DataTable)
        assert app.focused is table and table.cursor_row == 0


async def test_after_a_quantity_to_return_the_cursor_stays_on_that_line(store: Store) -> None:
    """It went back to the first line: Down, Enter then opened the second line when the
    cashier meant the fourth, and a wrong line could be refunded."""
    store.open_register()
    done = store.cash_sale("SOAP", "RICE1", "COLA", "TRIM")
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await open_return(pilot, done.sale.number)
        for key in ("down", "down", "enter"):  # the third line
            await pilot.press(key)
        await pilot.pause()
        app.screen.query_one("#qty", Input).value = "1"
        await pilot.press("enter")
        await pilot.pause()
        table = app.screen.query_one("#lines", DataTable)
        assert table.cursor_row == 2
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, QuantityDialog)
        assert app.screen.item_name == "Beard Trimmer"  # the fourth line


async def test_the_dashboard_tells_the_1_kg_and_5_kg_packs_apart(tmp_path: Path) -> None:
    from o2pos.core.models import Product
    from tests.conftest import build_store

    store = build_store(tmp_path)
    for size, price in (("1 kg", 12000), ("5 kg", 54500)):
        Product.create(
            sku=f"DAAWAT{size[0]}",
            name=f"Daawat Rozana Basmati Rice Family Pack {size}",
            price=price,
            tax_class="GST5",
        )
    store.open_register()
    store.cash_sale("DAAWAT1")
    store.cash_sale("DAAWAT5")
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await pilot.press("f6")
        await pilot.pause()
        board = str(app.screen.query_one("#dashboard", Static).render())
        assert "Family… 1 kg" in board and "Family… 5 kg" in board
        assert "Returns 0 (0.00)" in board  # nothing returned is not -0.00
    assert register.current_session(store.ctx) is not None


async def test_a_part_of_a_piece_is_refused_as_it_is_typed_on_a_return(store: Store) -> None:
    from o2pos.tui.screens.documents import ReturnsScreen

    store.open_register()
    done = store.cash_sale("3*SOAP")
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await open_return(pilot, done.sale.number)
        await pilot.press("enter")  # the soap line: how many come back
        await pilot.pause()
        assert isinstance(app.screen, QuantityDialog)
        app.screen.query_one("#qty", Input).value = "1.5"
        await pilot.press("enter")
        await pilot.pause()
        # still the dialog, saying why: no manager has been asked for anything yet
        assert isinstance(app.screen, QuantityDialog)
        error = str(app.screen.query_one(".error", Static).render())
        assert "comes back in whole" in error
        app.screen.query_one("#qty", Input).value = "1"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReturnsScreen) and app.screen.chosen


async def test_a_manager_unlocks_a_locked_cashier_at_the_login_screen(store: Store) -> None:
    from o2pos.core.models import Employee, Journal
    from o2pos.tui.approval import ManagerPinDialog

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, pin="9999", float_=None)
        for _ in range(4):  # the PIN box keeps focus after a wrong PIN
            await type_text(pilot, "9999")
            await pilot.press("enter")
            await pilot.pause()
        message = str(app.screen.query_one("#message", Static).render())
        assert "locked" in message and "^U: a manager unlocks it" in message
        await pilot.press("ctrl+u")  # the locked code is still in the user box
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinDialog)
        await type_text(pilot, "manager")
        await pilot.press("enter")
        await type_text(pilot, "222222")
        await pilot.press("enter")
        await pilot.pause()
        assert "cashier is unlocked" in str(app.screen.query_one("#message", Static).render())
        await type_text(pilot, "1111")  # the code stays; the right PIN works again at once
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "OpeningFloatDialog"
    cashier = Employee.get(Employee.code == "cashier")
    assert cashier.locked_until is None and cashier.failed_attempts == 0
    assert Journal.select().where(Journal.event_type == "employee.unlocked").count() == 1


async def test_the_register_shows_dues_collected_apart_from_cash_sales(store: Store) -> None:
    from o2pos.core import payments
    from o2pos.core.payments import Tender

    store.open_register()
    store.cash_sale("SOAP")  # 40.00 at checkout
    saved = sales.save_unpaid(store.ctx, store.bill("RICE1"), store.cashier)
    payments.collect(store.ctx, store.cashier, [saved.number], [Tender("cash", 18900)])
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await pilot.press("f4")
        await pilot.pause()
        state = str(app.screen.query_one("#register-state", Static).render())
        assert "Cash sales 40.00" in state and "Dues collected 189.00" in state
        assert "Expected in drawer 2,229.00" in state


# --- found by pressing every key in a real terminal (test_keys_in_a_terminal.py) -------------


async def test_f1_lists_only_the_keys_that_act(store: Store) -> None:
    """Textual's own Screen binds tab, shift+tab and ctrl+c; the App's keys take those
    first, so F1 does not list them (the login screen listed "tab Focus Next")."""
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        text = str(app.screen.query_one("#help-keys", Static).render())
        assert "Focus" not in text and "Copy" not in text
        assert text.count("tab  Next field") == 1 and "shift+tab  Previous field" in text


async def test_f1_on_the_managers_approval_lists_esc(store: Store) -> None:
    """The approval dialog's Esc is its Dialog's (Textual merges a screen's BINDINGS with
    its base classes'); F1 listed only the dialog's own Enter."""
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "SOAP")
        await pilot.press("ctrl+x")  # a cashier voids only with a manager's approval
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        text = str(app.screen.query_one("#help-keys", Static).render())
        assert "escape  Cancel" in text and "enter  Next box" in text


async def test_p_on_the_z_slip_prints_a_copy(store: Store, tmp_path: Path) -> None:
    """F1 lists p (print) on every slip; on the Z report and the return shown after they
    are made, p did nothing."""
    printer = PrinterConfig(kind="dummy", device=str(tmp_path / "printer.bin"))
    app = TillApp(store.ctx, Config(settings=store.ctx.settings, printer=printer))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "manager", "222222")
        await pilot.press("f4", "c")
        await pilot.pause()
        await type_text(pilot, "2000")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        z_number = app.screen.title_text.removeprefix("Z report ")
        await pilot.press("p")
        await pilot.pause()
        copies = PrintJob.select().where(PrintJob.number == z_number, PrintJob.copy == True)
        assert copies.count() == 1


async def test_p_on_a_slip_without_a_printer_says_so(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("f4", "x")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        await pilot.press("p")
        await pilot.pause()
        assert any("No printer is configured" in str(n.message) for n in app._notifications)


async def test_ctrl_f_hints_the_digits_only_when_none_follows(store: Store) -> None:
    """The hint raised just before a quick digit changed screens stayed on the new screen
    long after its time, over the right half of it: it now waits for a pause."""

    def hints() -> int:
        return sum("F-key" in str(n.message) for n in app._notifications)

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+f")
        pressed = app.function_key_at
        await pilot.press("3")  # F3 at once
        await pilot.pause()
        app.hint_function_key(pressed)  # what its timer does once the digit has come
        assert hints() == 0
        await pilot.press("ctrl+f")  # and no digit
        app.hint_function_key(app.function_key_at)  # what its timer does then
        await pilot.pause()
        assert hints() >= 1


async def test_a_coupon_code_typed_in_a_discount_box_is_never_taken_as_rupees(
    store: Store,
) -> None:
    """F9 opens in the line discount box. A cashier who types the coupon there at once
    ('FLAT50') once gave 50.00 off as a line discount, the letters dropped unseen. Now
    nothing is applied: the code moves to the coupon box, which Enter then applies."""
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "2*RICE1")  # 378.00: over FLAT50's 300.00
        await pilot.press("f9")
        await pilot.pause()
        await type_text(pilot, "FLAT50")
        await pilot.press("enter")
        await pilot.pause()
        coupon = app.screen.query_one("#coupon", Input)
        assert coupon.has_focus and coupon.value == "FLAT50"
        assert "'FLAT50' is no discount" in str(app.screen.query_one(".error", Static).render())
        draft = sales.open_draft(store.ctx)
        assert [line.discount_value for line in sales.lines_of(draft)] == [0]
        assert sales.get(draft.id).coupon_code is None
        await pilot.press("enter")
        await pilot.pause()
        assert sales.get(draft.id).coupon_code == "FLAT50"
        assert [line.discount_value for line in sales.lines_of(draft)] == [0]
        assert sales.get(draft.id).total == 37800 - 5000


async def test_a_minus_in_an_amount_is_refused_not_dropped(store: Store) -> None:
    """'-100' as the opening float opened the register with 100.00: the box dropped the
    minus unseen. The float is refused, said as such, and nothing is opened."""
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_="-100")
        assert "'-100' is below zero" in str(app.screen.query_one(".error", Static).render())
        assert register.current_session(store.ctx) is None
        app.screen.query_one("#amount", Input).value = ""
        await type_text(pilot, "100")
        await pilot.press("enter")
        await pilot.pause()
        assert register.current_session(store.ctx).opening_float == 10000


async def test_the_total_stays_on_screen_however_large_the_bill(store: Store) -> None:
    """With amounts in the billions the first totals line wrapped and pushed TOTAL out of
    the footer's two rows; each line now gives way (one tax figure, no round-off) first."""
    from o2pos.tui.widgets.cart import Totals

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, user="manager", pin="222222")
        await scan(pilot, "SOAP")
        draft = sales.open_draft(store.ctx)
        (line,) = sales.lines_of(draft)
        sales.override_price(store.ctx, draft.id, line.id, 8_000_000_000_000, store.manager)
        await scan(pilot, "SOAP")  # a line more, and the screen shows the bill again
        totals = app.screen.query_one(Totals)
        rows = [str(totals.render_line(y).text).rstrip() for y in range(2)]
        bill = sales.get(draft.id)
        assert rows[0].endswith(f"Tax {format_amount(bill.tax_total)}")  # not CGST, SGST
        assert rows[1].endswith(f"TOTAL {format_amount(bill.total)}")
        assert bill.total > 80_000_000_000_00 and all(len(row) <= 80 for row in rows)


async def test_brackets_typed_or_in_a_name_are_shown_as_they_are(store: Store) -> None:
    """'[/]' typed as the opening float ended the till (its error line read it as markup),
    and a customer named 'Ravi [bulk' made the totals fail and keep the last bill's
    figures. Both are shown as typed, and the till goes on."""
    Customer.create(uuid="c-br", name="Ravi [bulk", phone="9845000077", created_at=START)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_="[/]")
        error = str(app.screen.query_one(".error", Static).render())
        assert error == "'[/]' is not an amount (digits, at most 2 decimals)"
        app.screen.query_one("#amount", Input).value = "100"
        await pilot.press("enter")
        await pilot.pause()
        await scan(pilot, "SOAP")
        draft = sales.open_draft(store.ctx)
        sales.set_customer(
            store.ctx, draft.id, Customer.get(Customer.uuid == "c-br").id, store.cashier
        )
        await scan(pilot, "SOAP")
        totals = str(app.screen.query_one("#totals", Static).render())
        assert "Customer Ravi [bulk" in totals and "TOTAL 80.00" in totals


async def test_f5_starts_each_number_afresh(store: Store) -> None:
    """After one document was shown, the next number typed was added to the last one
    ('S-T1-000001S-T1-000002') and never found."""
    store.open_register()
    first, second = store.cash_sale("SOAP"), store.cash_sale("RICE1")
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        for done in (first, second):
            await pilot.press("f5")
            await pilot.pause()
            await type_text(pilot, done.sale.number)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, TextDialog)
            assert done.sale.number in str(app.screen.query_one("#slip-text", Static).render())
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen.query_one("#number", Input).value == ""


async def test_a_line_chosen_to_come_back_can_be_taken_back_with_0(store: Store) -> None:
    """Once chosen, a line's quantity could only be changed to another above zero: 0 or
    an empty box was refused, so a line chosen by mistake stayed in the return."""
    from o2pos.tui.screens.documents import ReturnsScreen

    store.open_register()
    done = store.cash_sale("3*SOAP", "RICE1")
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await open_return(pilot, done.sale.number)
        await pilot.press("enter")  # the soap line
        await pilot.pause()
        app.screen.query_one("#qty", Input).value = "2"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReturnsScreen) and len(app.screen.chosen) == 1
        await pilot.press("enter")  # the same line again: its choice is what the box holds
        await pilot.pause()
        box = app.screen.query_one("#qty", Input)
        assert box.value == "2"
        box.value = "0"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReturnsScreen) and app.screen.chosen == {}
        assert "refund by" in str(app.screen.query_one("#refund", Static).render())
