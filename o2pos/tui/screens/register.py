"""The cash register: its state, expected cash, movements; cash in/out, X, close → Z."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Static

from o2pos.core import register
from o2pos.core.errors import StateError
from o2pos.core.money import format_amount, format_minus
from o2pos.tui import keymap
from o2pos.tui.approval import run_with_approval
from o2pos.tui.guard import guarded
from o2pos.tui.screens.base import TillScreen
from o2pos.tui.screens.dialogs import AmountDialog, OpeningFloatDialog, TextDialog
from o2pos.tui.text import escape, shorten
from o2pos.tui.widgets.key_bar import KeyBar
from o2pos.tui.widgets.status_bar import StatusBar


class RegisterScreen(TillScreen):
    BINDINGS: ClassVar[list[BindingType]] = [*keymap.REGISTER]
    is_open = False

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static("", id="register-state")
        yield DataTable(id="movements", cursor_type="row")
        yield Static("", id="notice")
        yield KeyBar("register")

    def on_mount(self) -> None:
        table = self.query_one("#movements", DataTable)
        for label, width in (
            ("Number", 14),
            ("Kind", 8),
            ("Amount", 12),
            ("Reason", 24),
            ("By", 9),
        ):
            table.add_column(label, width=width)
        self.refresh_state()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only the keys that apply: Open while closed; the rest while open."""
        if action == "open":
            return not self.is_open
        if action in ("cash_in", "cash_out", "x_report", "close", "no_sale"):
            return self.is_open
        return True

    def refresh_state(self) -> None:
        self.query_one(StatusBar).refresh_status()
        drawer = register.drawer(self.ctx)
        self.is_open = drawer is not None
        self.refresh_bindings()
        state = self.query_one("#register-state", Static)
        table = self.query_one("#movements", DataTable)
        table.clear()
        if drawer is None:
            state.update(
                "The cash register is [b]closed[/b] on this till. O: open it with a float."
            )
            return
        cash = drawer.cash
        opened = self.ctx.local(drawer.opened_at).strftime("%d %b %H:%M")
        money, minus = format_amount, format_minus
        # three figures a line: four of a busy day's width wrapped past 80 columns
        state.update(
            f"Open since {opened} by {escape(drawer.opened_by)}\n"
            f"Float {money(cash['opening_float'])}   Cash sales {money(cash['cash_sales'])}   "
            f"Dues collected {money(cash['cash_dues'])}\n"
            f"Refunds {minus(cash['cash_refunds'])}   Cash in {money(cash['cash_in'])}   "
            f"Cash out {minus(cash['cash_out'])}\n"
            f"[b]Expected in drawer {money(cash['expected_cash'])}[/b]"
        )
        table.add_rows(
            [
                (
                    m.number,
                    m.kind.replace("_", " "),
                    format_amount(m.amount),
                    shorten(m.reason, 24),
                    m.by,
                )
                for m in drawer.movements
            ]
        )

    # --- actions ----------------------------------------------------------------------

    @guarded
    def action_open(self) -> None:
        if register.is_open(self.ctx):
            raise StateError("The cash register is already open")

        def opened(opening_float: int | None) -> None:
            self.refresh_state()
            if opening_float is not None:
                self.say(f"Register open with {format_amount(opening_float)}")

        self.app.push_screen(OpeningFloatDialog(), opened)

    def action_cash_in(self) -> None:
        self._move("in", "Cash in: money put into the drawer")

    def action_cash_out(self) -> None:
        self._move("out", "Cash out: money taken from the drawer")

    def _move(self, kind: str, title: str) -> None:
        ctx, employee = self.ctx, self.employee

        def moved(move: register.CashMovement) -> None:
            self.refresh_state()
            self.say(f"{move.number}: cash {kind} {format_amount(move.amount)}")
            self.app.print_document(move.number)

        @guarded
        def save(screen: RegisterScreen, result: tuple[int, str] | None) -> None:
            if result is not None:
                amount, reason = result
                run_with_approval(
                    screen,
                    lambda approval: register.move_cash(
                        ctx, employee, kind, amount, reason, approval
                    ),
                    moved,
                )

        self.app.push_screen(AmountDialog(title, reason=True), lambda r: save(self, r))

    @guarded
    def action_no_sale(self) -> None:
        ctx, employee = self.ctx, self.employee

        def opened(move: register.CashMovement) -> None:
            self.refresh_state()
            self.say(f"{move.number}: drawer opened (no sale)")
            self.app.open_cash_drawer(move.number)

        run_with_approval(
            self,
            lambda approval: register.open_drawer(ctx, employee, "no sale", approval),
            opened,
        )

    @guarded
    def action_x_report(self) -> None:
        app = self.app
        on_print = app.print_x_report if app.config.printer.kind != "none" else None
        app.push_screen(TextDialog("X report (nothing is closed)", app.x_report_text(), on_print))

    @guarded
    def action_close(self) -> None:
        ctx, employee = self.ctx, self.employee
        register.require_open(ctx)

        @guarded
        def counted(screen: RegisterScreen, amount: int | None) -> None:
            if amount is not None:
                run_with_approval(
                    screen,
                    lambda approval: register.close_session(ctx, employee, amount, approval),
                    screen.closed,
                )

        self.app.push_screen(
            AmountDialog("Close the register", hint="Count the drawer and type the cash counted."),
            lambda amount: counted(self, amount),
        )

    def closed(self, session: register.RegisterSession) -> None:
        z_number, diff = session.z_number or "", session.difference or 0
        word = "over" if diff > 0 else "short" if diff < 0 else "exact"
        self.refresh_state()
        self.say(
            f"Closed: {z_number}, counted {format_amount(session.counted_cash or 0)}, "
            f"{word} {format_amount(abs(diff))}"
        )
        self.app.print_document(z_number)
        text = self.app.slip_text(z_number)
        self.app.push_screen(
            TextDialog(f"Z report {z_number}", text, self.app.print_copy(z_number))
        )
