"""The till driven by keys alone, as a cashier does, on a real database file."""

from __future__ import annotations

import asyncio
import gc
import heapq
import itertools
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.widgets import Input, Static

from o2pos import heap
from o2pos.config import Config
from o2pos.core import register, sales
from o2pos.core.models import Journal, Return, Sale
from o2pos.tui import app as till_app_module
from o2pos.tui import keymap
from o2pos.tui.app import TillApp
from o2pos.tui.approval import ManagerPinDialog
from o2pos.tui.screens.login import LoginScreen
from o2pos.tui.screens.sales import SalesScreen
from o2pos.tui.widgets.cart import CartTable
from o2pos.tui.widgets.status_bar import StatusBar
from tests.conftest import Store, build_store


def make_app(store: Store) -> TillApp:
    return TillApp(store.ctx, Config(settings=store.ctx.settings))


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press(char)


async def sign_in(pilot, user: str = "cashier", pin: str = "1111", float_: str | None = "2000"):
    await type_text(pilot, user)
    await pilot.press("tab")
    await type_text(pilot, pin)
    await pilot.press("enter")
    await pilot.pause()
    if float_ is not None:
        await type_text(pilot, float_)
        await pilot.press("enter")
        await pilot.pause()


async def open_return(pilot, number: str) -> None:
    """ctrl+r, and the bill ``number`` found on the returns screen."""
    await pilot.press("ctrl+r")
    await pilot.pause()
    await type_text(pilot, number)
    await pilot.press("enter")
    await pilot.pause()


async def approve_as_manager(pilot) -> None:
    """Answer the manager override dialog as the store manager."""
    await type_text(pilot, "manager")
    await pilot.press("enter")
    await type_text(pilot, "222222")
    await pilot.press("enter")
    await pilot.pause()


async def scan(pilot, code: str) -> None:
    await type_text(pilot, code)
    await pilot.press("enter")
    await pilot.pause()


async def wait_for(pilot, predicate, timeout: float = 15.0) -> None:
    """Let the app run until ``predicate()`` holds (background workers report meanwhile)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the till"
        await pilot.pause(0.1)


def frozen_till_clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The till's clock (o2pos.tui.app's time.monotonic) stands still until the test moves
    ``clock.now``: key windows and idle times then mean the same on any machine."""
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(till_app_module, "time", SimpleNamespace(monotonic=lambda: clock.now))
    return clock


def status_text(app: TillApp) -> str:
    return str(app.screen.query_one(StatusBar).render())


def notice(app: TillApp) -> str:
    """The notice line of the screen shown; "" while a dialog without one is up."""
    lines = app.screen.query("#notice").results(Static)
    return next((str(line.render()) for line in lines), "")


async def test_exact_cash_sale_scan_scan_f10_enter(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        assert isinstance(app.screen, SalesScreen)
        assert register.current_session(store.ctx).opening_float == 200000
        status = str(app.screen.query_one(".status-bar", Static).render())
        assert "cashier" in status and "drawer open" in status
        await scan(pilot, "8901234567890")
        await scan(pilot, "SOAP")
        assert app.screen.query_one(CartTable).row_count == 2
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen)
        assert app.screen.query_one(CartTable).row_count == 0
        assert "S-T1-000001 paid 229.00" in notice(app)
    done = Sale.get(Sale.number == "S-T1-000001")
    assert (done.total, done.paid, done.status) == (22900, 22900, "completed")


async def test_split_tender_with_change(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "TRIM")  # 1180.00
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("down")  # card
        amount = app.screen.query_one("#amount", Input)
        amount.value = "1000"
        await pilot.press("tab")
        await type_text(pilot, "AUTH77")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#amount", Input).value == "180.00"
        await pilot.press("up")  # back to cash
        app.screen.query_one("#amount", Input).value = "200"
        await pilot.press("enter")
        await pilot.pause()
        assert "CHANGE 20.00" in notice(app)


async def test_unknown_barcode_changes_nothing_and_keeps_the_item_box(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        before = Journal.select().count()
        await scan(pilot, "NOSUCH")
        assert "Unknown barcode or SKU: NOSUCH" in notice(app)
        box = app.screen.query_one("#item", Input)
        assert app.focused is box and box.value == "NOSUCH" and box.selected_text == "NOSUCH"
        assert app.screen.query_one(CartTable).row_count == 1
        assert Journal.select().count() == before


async def test_wrong_pins_then_lockout_message(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, pin="9999", float_=None)
        message = app.screen.query_one("#message", Static)
        assert "4 tries left" in str(message.render())
        # the user code stays and the PIN box keeps focus: the cashier just retypes
        assert app.focused is app.screen.query_one("#pin", Input)
        for _ in range(4):
            await type_text(pilot, "9999")
            await pilot.press("enter")
            await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert "locked for 15 min" in str(message.render())


async def test_a_bill_survives_a_restart(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        await scan(pilot, "3*SOAP")
    # a new process on the same file (the draft was committed at each scan)
    again = make_app(store)
    async with again.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        assert again.screen.query_one(CartTable).row_count == 2
        assert "Resumed" in notice(again)
        draft = sales.open_draft(store.ctx)
        assert draft.total == 18900 + 3 * 4000


async def test_hold_and_recall(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        await pilot.press("f8")
        await pilot.pause()
        assert app.screen.query_one(CartTable).row_count == 0
        assert len(sales.held(store.ctx)) == 1
        await pilot.press("f8")
        await pilot.pause()
        assert app.screen.query_one(CartTable).row_count == 1
        assert sales.held(store.ctx) == []


async def test_help_lists_the_screens_keys(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("f1")
        await pilot.pause()
        text = str(app.screen.query_one("#help-keys", Static).render())
        assert "f10" in text and "Pay" in text and "ctrl+l" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen)


async def test_ctrl_f_then_a_digit_is_an_f_key_for_terminals_without_them(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # however slow the machine, a digit pressed "at once" is within the ctrl+f window and
    # one "later" is not
    clock = frozen_till_clock(monkeypatch)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        await pilot.press("ctrl+f", "1")  # F1
        await pilot.pause()
        text = str(app.screen.query_one("#help-keys", Static).render())
        assert "f10/^F 0" in text and "f12/^F =" in text  # every F-key with its other form
        await pilot.press("escape")
        await pilot.press("ctrl+f", "escape")  # changed my mind: nothing happens
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen)
        await pilot.press("ctrl+f", "0")  # F10: pay
        await pilot.pause()
        assert type(app.screen).__name__ == "PaymentScreen"
        await pilot.press("enter")
        await pilot.pause()
        assert Sale.select().where(Sale.status == "completed").count() == 1
        await type_text(pilot, "1")  # a digit after the prefix is used up is just a digit
        assert app.screen.query_one("#item", Input).value == "1"
        # a stray ctrl+f, then a scan a while later: every digit reaches the item box
        await pilot.press("ctrl+f")
        clock.now += keymap.FUNCTION_KEY_SECONDS + 0.1
        await type_text(pilot, "89")
        assert app.screen.query_one("#item", Input).value == "189"
        assert isinstance(app.screen, SalesScreen)


async def test_lock_returns_to_login_and_keeps_the_bill(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert sales.open_draft(store.ctx).total == 18900


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return build_store(tmp_path)


async def test_register_cash_out_then_close_with_a_difference_and_z(store: Store) -> None:
    from o2pos.tui.screens.dialogs import TextDialog
    from o2pos.tui.screens.register import RegisterScreen

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)  # float 2000
        await scan(pilot, "RICE1")
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")  # 189.00 cash
        await pilot.pause()
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, RegisterScreen)
        state = str(app.screen.query_one("#register-state", Static).render())
        assert "Expected in drawer 2,189.00" in state
        await pilot.press("u")  # cash out
        await pilot.pause()
        await type_text(pilot, "100")
        await pilot.press("enter")
        await type_text(pilot, "milk supplier")
        await pilot.press("enter")
        await pilot.pause()
        state = str(app.screen.query_one("#register-state", Static).render())
        assert "Expected in drawer 2,089.00" in state
        await pilot.press("c")  # close: the cashier may not, a manager approves
        await pilot.pause()
        await type_text(pilot, "2080")
        await pilot.press("enter")
        await pilot.pause()
        await approve_as_manager(pilot)
        assert isinstance(app.screen, TextDialog)
        slip = str(app.screen.query_one("#slip-text", Static).render())
        assert "Z-T1-000001" in slip and "Short" in slip and "-9.00" in slip
    assert register.current_session(store.ctx) is None


async def test_a_discount_above_the_limit_needs_a_managers_pin(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "TRIM")  # 1180.00
        await pilot.press("f9")
        await pilot.pause()
        await type_text(pilot, "10%")  # the cashier's limit is 5 %
        await pilot.press("enter")
        await pilot.pause()
        await approve_as_manager(pilot)
        assert isinstance(app.screen, SalesScreen)
    draft = sales.open_draft(store.ctx)
    [line] = sales.lines_of(draft)
    assert (line.discount_value, line.approved_by, draft.total) == (1000, "manager", 106200)


async def test_choose_a_customer_from_another_state(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "TRIM")
        await pilot.press("f7")
        await pilot.pause()
        await type_text(pilot, "Tamil")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        totals = str(app.screen.query_one("#totals", Static).render())
        assert "Tamil Traders" in totals and "IGST 180.00" in totals


async def test_reprint_shows_the_bill_as_its_slip_reads_and_the_dashboard_counts_it(
    store: Store,
) -> None:
    from o2pos.tui.screens.dialogs import TextDialog

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        await pilot.press("f10")
        await pilot.pause()
        await type_text(pilot, "200")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        await type_text(pilot, "s-t1-000001")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        slip = str(app.screen.query_one("#slip-text", Static).render())
        assert "TAX INVOICE" in slip and "S-T1-000001" in slip and "Change" in slip
        await pilot.press("escape")
        await pilot.press("f6")
        await pilot.pause()
        board = str(app.screen.query_one("#dashboard", Static).render())
        assert "Sales 1" in board and "Basmati Rice" in board


async def test_a_product_name_with_square_brackets_is_shown_as_written(store: Store) -> None:
    """Names go into the dashboard's and the notice line's text; read as markup, a name
    such as "Basmati [/] Rice" ended the till when the dashboard or the sale showed it."""
    from o2pos.core.models import Product

    Product.update(name="Basmati [/] Rice [b]1 kg").where(Product.sku == "RICE1").execute()
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        assert "Basmati [/] Rice [b]1 kg" in notice(app)
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f6")
        await pilot.pause()
        board = str(app.screen.query_one("#dashboard", Static).render())
        assert "Basmati [/] Rice [b]1 kg" in board


async def test_receipts_collect_a_saved_bill_by_number(store: Store) -> None:
    store.open_register()
    saved = sales.save_unpaid(store.ctx, store.bill("RICE1", "SOAP"), store.cashier)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await pilot.press("f3")
        await pilot.pause()
        await type_text(pilot, saved.number)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f10")
        await pilot.pause()
        # money is owed: 'On account' cannot pay it, and is not offered
        methods = str(app.screen.query_one("#methods", Static).render())
        assert "Cash" in methods and "On account" not in methods
        await type_text(pilot, "250")
        await pilot.press("enter")
        await pilot.pause()
        assert "CHANGE 21.00" in notice(app)
    assert Sale.get_by_id(saved.id).balance == 0


async def test_a_return_with_manager_approval_and_its_slip(store: Store) -> None:
    from o2pos.tui.screens.dialogs import TextDialog

    store.open_register()
    done = store.cash_sale("3*SOAP")
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await open_return(pilot, done.sale.number)
        await pilot.press("enter")  # the line: how many come back
        await pilot.pause()
        app.screen.query_one("#qty", Input).value = "2"
        await pilot.press("enter")
        await pilot.pause()
        # what will be refunded is on screen before F10, and in what the manager approves
        refund = str(app.screen.query_one("#refund", Static).render())
        assert "refund 80.00 by Cash" in refund
        await pilot.press("f10")
        await pilot.pause()
        asked = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "(a refund of 80.00 by Cash)" in asked
        await approve_as_manager(pilot)
        assert isinstance(app.screen, TextDialog)
        assert "RT-T1-000001" in str(app.screen.query_one("#slip-text", Static).render())
    [line] = sales.lines_of(done.sale)
    assert line.returned_milli == 2000
    assert Return.get(Return.number == "RT-T1-000001").total == 8000  # as it was shown


async def test_find_a_product_by_name_and_quick_add_a_weighed_item(store: Store) -> None:
    from o2pos.core.models import Product, QuickButton

    QuickButton.create(position=1, label="Onion", product=Product.get(Product.sku == "ONION"))
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("f11")
        await pilot.pause()
        await type_text(pilot, "neem so")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+k")
        await pilot.pause()
        await type_text(pilot, "1")
        await pilot.press("enter")
        await pilot.pause()
        await type_text(pilot, "0.5")
        await pilot.press("enter")
        await pilot.pause()
    lines = sales.lines_of(sales.open_draft(store.ctx))
    assert [(ln.sku, ln.qty_milli) for ln in lines] == [("SOAP", 1000), ("ONION", 500)]


async def test_remapped_keys_from_the_config(store: Store) -> None:
    config = Config(settings=store.ctx.settings, keys={"pay": "ctrl+z"})
    app = TillApp(store.ctx, config)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen)  # f10 no longer pays
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert type(app.screen).__name__ == "PaymentScreen"


async def test_an_unexpected_error_is_logged_and_shown_and_the_till_goes_on(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(sales, "add_item", broken)
        await scan(pilot, "SOAP")
        assert "Something went wrong (RuntimeError)" in notice(app)
        assert "Traceback" not in notice(app)
        monkeypatch.undo()
        await scan(pilot, "SOAP")
        assert app.screen.query_one(CartTable).row_count == 2
    assert "disk on fire" in caplog.text


async def test_the_till_locks_itself_when_idle(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from o2pos.config import KioskConfig

    # on the real clock a slow sign-in could leave the till idle for 1 s and its own 5 s
    # check would lock it first; on this one nobody is idle until the test says so
    clock = frozen_till_clock(monkeypatch)
    config = Config(settings=store.ctx.settings, kiosk=KioskConfig(idle_lock_seconds=1))
    app = TillApp(store.ctx, config)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        clock.now += 0.5
        app.lock_when_idle()
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen)  # touched half a second ago: not idle
        clock.now += 0.5
        app.lock_when_idle()
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)


async def test_choose_a_lot_and_save_a_bill_unpaid(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await type_text(pilot, "2*MILK")
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press("down")  # the second lot, NEW
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "S-T1-000001 saved, 108.00 to pay" in notice(app)
    saved = Sale.get(Sale.number == "S-T1-000001")
    [line] = sales.lines_of(saved)
    assert (line.lot_no, line.qty_milli, saved.balance) == ("NEW", 2000, 10800)


async def test_a_long_bill_keeps_the_newest_line_in_view(store: Store) -> None:
    from o2pos.core.models import Product

    store.open_register()
    draft = sales.new(store.ctx, store.cashier)
    for index in range(30):
        Product.create(sku=f"X{index}", name=f"Extra item {index}", price=1000, tax_class="GST0")
        sales.add_item(store.ctx, draft.id, f"X{index}", store.cashier)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await scan(pilot, "RICE1")
        cart = app.screen.query_one(CartTable)
        assert cart.row_count == 31
        assert cart.selected_line_id == sales.lines_of(sales.get(draft.id))[-1].id
        assert "Basmati Rice" in str(cart.render_line(cart.size.height - 1).text)
        await pilot.press("down")  # into the cart, then walk up to the first line
        for _ in range(40):
            await pilot.press("up")
        assert "Extra item 0" in str(cart.render_line(0).text)


class TextualClock:
    """The clock of Textual's timers, moved only by the test: frames are counted against the
    time Textual itself schedules them by, so a slow machine cannot change the count."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def get_time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), future))
        await future

    async def advance(self, seconds: float) -> None:
        """Move time on, and let every timer that is due now run."""
        self.now += seconds
        while self._sleepers and self._sleepers[0][0] <= self.now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)
        for _ in range(5):  # a woken timer draws in its first step
            await asyncio.sleep(0)


@pytest.mark.parametrize("max_fps", [4, 60])
async def test_the_frame_rate_cap_bounds_what_typing_sends(
    store: Store, max_fps: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over SSH every frame is bytes on the wire: [display] max_fps caps the frames drawn."""
    import textual._time
    import textual.timer

    from o2pos.config import DisplayConfig

    clock = TextualClock()
    monkeypatch.setattr(textual._time, "get_time", clock.get_time)
    monkeypatch.setattr(textual.timer, "sleep", clock.sleep)
    config = Config(settings=store.ctx.settings, display=DisplayConfig(max_fps=max_fps))
    app = TillApp(store.ctx, config)
    frames: list[float] = []
    display = app._display

    def spy(*args: object, **kwargs: object) -> None:
        frames.append(clock.now)
        display(*args, **kwargs)

    app._display = spy  # type: ignore[method-assign]
    keys = "8901001000018" * 2
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await clock.advance(1.0)
        await pilot.pause()  # draws whatever is pending
        frames.clear()
        started = clock.now
        for char in keys:  # a key every 40 ms, as a quick typist or a slow scanner
            await pilot.press(char)
            await clock.advance(0.04)
        seconds = clock.now - started
        assert app.screen.query_one("#item", Input).value == keys
    if max_fps == 4:
        assert 1 <= len(frames) <= 4 * seconds + 2
    else:
        assert len(frames) >= len(keys)  # uncapped, each key is its own frame


async def test_a_screen_whose_code_cannot_load_is_said_and_the_till_keeps_selling(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """o2pos upgraded under a running till: a screen's module, imported the first time its
    key is pressed, fails to import (here: blocked in ``sys.modules``). That ended the till
    with the bill on screen; now the cashier is told what to do, and the bill goes on."""
    monkeypatch.setitem(sys.modules, "o2pos.tui.screens.documents", None)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "SOAP")
        await pilot.press("f3")  # receipts
        await pilot.pause()
        assert isinstance(app.screen, SalesScreen)
        assert any("could not load" in str(n.message) for n in app._notifications)
        await scan(pilot, "8901234567890")
        assert app.screen.query_one(CartTable).row_count == 2
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "S-T1-000001 paid" in notice(app)


async def test_signing_in_when_the_sales_screen_cannot_load_stays_at_login_and_says_why(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same at sign-in, where the sales screen is first imported: the till stays at the
    login screen and says what to do, and once the code loads again, signing in works."""
    monkeypatch.setitem(sys.modules, "o2pos.tui.screens.sales", None)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        assert isinstance(app.screen, LoginScreen)
        assert app.employee is None
        assert any("could not load" in str(n.message) for n in app._notifications)
        monkeypatch.undo()  # the till restarted on one version, in effect
        await sign_in(pilot)
        assert isinstance(app.screen, SalesScreen)


async def test_the_collector_held_off_for_start_up_is_back_once_the_login_screen_is_up(
    store: Store,
) -> None:
    """``o2pos run`` holds the garbage collector off while the till starts (o2pos/heap.py);
    a till that never turned it back on would keep every cycle of garbage a shift makes.
    Once the login screen is up it is on again, with what start-up built frozen."""
    frozen = gc.get_freeze_count()
    heap.hold()
    try:
        assert not gc.isenabled()
        app = make_app(store)
        async with app.run_test(size=(80, 24)) as pilot:
            assert isinstance(app.screen, LoginScreen)
            await wait_for(pilot, gc.isenabled)
            assert gc.get_freeze_count() > frozen
            await sign_in(pilot)  # and the till goes on as ever
            assert isinstance(app.screen, SalesScreen)
    finally:
        heap.settle()  # when the test failed before the till did it
        gc.enable()
        gc.unfreeze()  # the rest of the test run is not the till's to pin


def test_a_process_that_never_held_the_collector_is_left_alone() -> None:
    """The tests' tills, the central and the other commands never hold it: ``settle`` then
    neither freezes nor collects."""
    frozen = gc.get_freeze_count()
    heap.settle()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


async def test_a_billing_employee_is_told_at_once_that_payment_is_not_theirs(
    store: Store,
) -> None:
    """A billing employee's bills are paid at another counter, and no manager's PIN can
    change that (docs/roles.md). F10 then Enter asked for one, and after a manager's PIN
    asked again, for ever. Now the till says so, and the bill can be saved unpaid."""
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, user="billing", pin="3333", float_=None)
        await scan(pilot, "SOAP")
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ManagerPinDialog)
        said = str(app.screen.query_one(".error", Static).render())
        assert "billing may not take payments, and a manager's PIN cannot allow it" in said
        assert Sale.select().where(Sale.status == "completed").count() == 0


async def test_changing_the_method_clears_what_was_said_of_the_last_one(store: Store) -> None:
    """Card chosen and Enter without its approval code: 'Card: type its approval code'.
    Back on cash, that line stayed, telling the cashier to type a code cash has none of."""
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "SOAP")
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("down")  # card
        await pilot.press("enter")
        await pilot.pause()
        error = app.screen.query_one(".error", Static)
        assert "type its" in str(error.render())
        await pilot.press("up")  # cash again
        await pilot.pause()
        assert str(error.render()).strip() == ""
        app.screen.query_one("#amount", Input).value = "50"
        await pilot.pause()
        assert "Change 10.00" in str(app.screen.query_one("#change", Static).render())


async def test_down_from_the_customer_search_moves_into_the_matches(store: Store) -> None:
    """F7 says '↓ Enter: choose', but ↓ did nothing in the find box: Enter always took the
    first match. Now ↓ goes into the matches and a further ↓ to the next one."""
    from textual.widgets import OptionList

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "TRIM")
        await pilot.press("f7")
        await pilot.pause()
        await type_text(pilot, "98450000")  # both customers' phones
        await pilot.pause()
        await pilot.press("down", "down")
        await pilot.pause()
        matches = app.screen.query_one("#matches", OptionList)
        assert app.focused is matches and matches.highlighted == 2
        second = str(matches.get_option_at_index(2).prompt).split("  ")[0]
        await pilot.press("enter")
        await pilot.pause()
        assert second in str(app.screen.query_one("#totals", Static).render())


async def test_a_manager_voiding_a_bill_is_asked_once_before_it_goes(store: Store) -> None:
    """A cashier's ctrl+x asks for a manager's PIN; a manager's voided the bill at once, so
    a finger slipping from ctrl+c dropped it. A manager is now asked; Esc keeps the bill."""
    from o2pos.tui.screens.dialogs import ConfirmDialog

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, user="manager", pin="222222")
        await scan(pilot, "SOAP")
        await scan(pilot, "RICE1")
        await pilot.press("ctrl+x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        asked = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "Void this bill?" in asked and "2 lines, 229.00" in asked
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one(CartTable).row_count == 2
        await pilot.press("ctrl+x")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one(CartTable).row_count == 0
        assert "Bill voided" in notice(app)
        assert Sale.select().where(Sale.status == "cancelled").count() == 1


async def test_enter_on_an_empty_reason_for_cash_out_says_what_is_missing(store: Store) -> None:
    """Cash out with the amount typed and no reason: Enter did nothing and said nothing."""
    from o2pos.tui.screens.dialogs import AmountDialog

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        await type_text(pilot, "100")
        await pilot.press("enter")  # on to the reason
        await pilot.press("enter")  # with none typed
        await pilot.pause()
        assert isinstance(app.screen, AmountDialog)
        said = str(app.screen.query_one(".error", Static).render())
        assert said == "Type the reason, then Enter"
        await type_text(pilot, "bank deposit")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, AmountDialog)
        assert register.cash_totals(register.current_session(store.ctx))["cash_out"] == 10000


async def test_a_discount_approved_after_a_refusal_says_so_over_the_refusal(
    store: Store,
) -> None:
    """A cashier typed their own code into the manager's approval for 10 % (their limit
    is 5 %): refused. Approved by the manager next, the refusal stayed on the notice line."""
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        for approver, pin in (("cashier", "1111"), ("manager", "222222")):
            await pilot.press("f9")
            await pilot.pause()
            await type_text(pilot, "10%")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ManagerPinDialog)
            await type_text(pilot, approver)
            await pilot.press("enter")
            await type_text(pilot, pin)
            await pilot.press("enter")
            await pilot.pause()
        assert notice(app) == "Discount 10% on the line"
        (line,) = sales.lines_of(sales.open_draft(store.ctx))
        assert line.line_discount == 1890


async def test_f1_at_the_login_lists_only_the_keys_that_act_there(store: Store) -> None:
    """F1 at the login listed F2 Sales, F3 Receipts, ctrl+r Returns and the rest, none of
    which does anything until someone signs in. Signed in, they are all there."""
    from o2pos.tui.screens.dialogs import HelpDialog

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        for signed_in in (False, True):
            await pilot.press("f1")
            await pilot.pause()
            assert isinstance(app.screen, HelpDialog)
            listed = str(app.screen.query_one("#help-keys", Static).render())
            assert "Sync" in listed and "Help: every key" in listed
            assert ("Sales" in listed and "Dashboard" in listed) is signed_in
            assert ("Unlock a code" in listed) is not signed_in
            await pilot.press("escape")
            await pilot.pause()
            if not signed_in:
                await sign_in(pilot)
